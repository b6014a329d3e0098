import CLinux
import CSQLite

#if canImport(Glibc)
    import Glibc
#endif

/// A queue for the writer lock, shared by every process and thread that writes one database
/// through this module, kept in `<database>-writer`: writers take a ticket and go in the order of
/// their tickets, then hold a robust, process-shared mutex from before `BEGIN IMMEDIATE` to after
/// `COMMIT` or `ROLLBACK`.
///
/// SQLite has no queue for its writer lock: a writer that finds it taken sleeps and tries again,
/// and whoever wakes at the right moment goes next. A mutex alone queues waiters in the kernel but
/// lets a writer that comes back at once take it before the one woken for it. Tickets serve
/// writers in the order they came; each sleeps until the one before it gives the turn up and
/// rings its bell (BENCHMARKS.md has the measurements behind this shape).
///
/// The same file holds a mailbox: a writer waiting in line may offer its write there, and the
/// writer whose turn it is may run it in its own transaction and answer (``OfferedWrite``).
///
/// Its bytes are trusted only while a connection uses them: each connection holds an open file
/// description lock on the file from its open to its close, which the kernel drops with its
/// process and which no boot keeps. The first connection to find none starts the queue afresh,
/// so that nothing a power cut or a copied file left there (a mutex locked by a writer long gone,
/// tickets nobody will take) can wedge the writers.
///
/// It orders writers; it does not make them correct: SQLite's own lock still guards every write,
/// so a writer without the turnstile (the `sqlite3` shell, a file that could not be made) is
/// merely not queued. A ticket whose writer will never come (its thread is gone, or it gave up)
/// is passed over by the writers behind it; a process that dies holding the mutex hands it on
/// (`EOWNERDEAD`) and SQLite rolls its transaction back as usual.
final class WriterTurnstile {
    /// The open `-writer` file: its read lock says this connection uses the queue.
    private let descriptor: Int32
    private let mapping: UnsafeMutableRawPointer
    /// Held from before `BEGIN IMMEDIATE` to after `COMMIT` or `ROLLBACK`.
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>
    /// The right to checkpoint: held by one connection through both steps of its checkpoint.
    private let checkpointMutex: UnsafeMutablePointer<pthread_mutex_t>
    /// The next ticket to hand out.
    private let nextTicket: UnsafeMutablePointer<UInt32>
    /// The ticket whose turn it is.
    private let serving: UnsafeMutablePointer<UInt32>
    /// A word per ticket (modulo ``bellCount``) that its writer sleeps on; rung when its turn
    /// nears or comes.
    private let bells: UnsafeMutablePointer<UInt32>
    /// Who holds each ticket (modulo ``bellCount``): the ticket in the high half, the thread id
    /// in the low (0 once its writer gave up waiting).
    private let holders: UnsafeMutablePointer<UInt64>
    static let bellCount = WriterQueueLayout.bellCount
    /// The mailbox: a slot per ticket (modulo ``slotCount``) where a waiting writer offers its
    /// write to the writer whose turn it is (see ``OfferedWrite``).
    let slots: UnsafeMutableRawPointer
    static let slotCount = WriterQueueLayout.slotCount
    static let slotSize = WriterQueueLayout.slotSize
    /// This connection's ticket while it has the turn.
    private var ticket: UInt32 = 0
    // The file's bytes: ``WriterQueueLayout``.
    private static let size = WriterQueueLayout.size

    /// How long a turn sits unused before the writers behind look at whether its writer is
    /// still coming.
    static let checkTurnAfter: UInt64 = 10_000_000  // 10 ms
    /// How long any turn may sit unused, its mutex free, before it is passed over: its writer's
    /// record is missing (not yet written, or overwritten by a queue longer than ``bellCount``),
    /// or its process is dead but not yet reaped, or it is merely that slow (it then takes the
    /// mutex when it comes).
    static let passUnusedAfter: UInt64 = 1_000_000_000  // 1 s

    /// Opens (creating when missing) the turnstile of the database at `databasePath`; nil when
    /// its file cannot be made, locked or mapped (a full disk, a read-only directory).
    init?(databasePath: String) {
        let path = databasePath + "-writer"
        let descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0o600)
        guard descriptor >= 0 else { return nil }
        guard let mapped = Self.attach(descriptor) else {
            close(descriptor)
            return nil
        }
        self.descriptor = descriptor
        mapping = mapped
        let layout = WriterQueueLayout(base: mapped)
        mutex = layout.turnMutex
        checkpointMutex = layout.checkpointMutex
        nextTicket = layout.nextTicket
        serving = layout.serving
        bells = layout.bells
        holders = layout.holders
        slots = layout.slots
    }

    /// Maps the queue in the file open at `descriptor` and marks it used by this connection (a
    /// read lock on its first byte, until ``deinit`` closes the descriptor). A queue no other
    /// connection uses is started afresh (``reset(_:)``), whatever its bytes say.
    private static func attach(_ descriptor: Int32) -> UnsafeMutableRawPointer? {
        // One connection at a time sets the file up; the others wait here for a moment.
        guard flock(descriptor, LOCK_EX) == 0 else { return nil }
        defer { flock(descriptor, LOCK_UN) }
        var info = stat()
        guard fstat(descriptor, &info) == 0 else { return nil }
        // Blocks really allocated, so that a full disk fails here and not as SIGBUS in the mapping.
        if info.st_size < size, posix_fallocate(descriptor, 0, off_t(size)) != 0 { return nil }
        guard let mapped = mmap(nil, size, PROT_READ | PROT_WRITE, MAP_SHARED, descriptor, 0),
            mapped != MAP_FAILED
        else { return nil }
        // The write lock is had only when no connection holds its read lock: nobody uses the queue.
        let unused = clinux_ofd_lock(descriptor, Int16(F_WRLCK)) == 0
        if unused { reset(mapped) }
        guard clinux_ofd_lock(descriptor, Int16(F_RDLCK)) == 0 else {
            munmap(mapped, size)
            return nil
        }
        let layout = WriterQueueLayout(base: mapped)
        if layout.turnMagic.pointee != WriterQueueLayout.turnMagic {  // a file of a build older than these locks
            initialize(layout.turnMutex)
            layout.turnMagic.pointee = WriterQueueLayout.turnMagic
        }
        if layout.checkpointMagic.pointee != WriterQueueLayout.checkpointMagic {
            initialize(layout.checkpointMutex)
            layout.checkpointMagic.pointee = WriterQueueLayout.checkpointMagic
        }
        return mapped
    }

    /// Starts the queue afresh: both mutexes free, no ticket taken, every slot of the mailbox
    /// empty. Only for a queue no connection uses.
    private static func reset(_ mapped: UnsafeMutableRawPointer) {
        mapped.initializeMemory(as: UInt8.self, repeating: 0, count: WriterQueueLayout.slotsOffset)
        let layout = WriterQueueLayout(base: mapped)
        initialize(layout.turnMutex)
        initialize(layout.checkpointMutex)
        layout.turnMagic.pointee = WriterQueueLayout.turnMagic
        layout.checkpointMagic.pointee = WriterQueueLayout.checkpointMagic
        // A slot's state and ticket (its first 8 bytes); written only where set, so that a queue
        // left clean costs no page written.
        for slot in 0..<Int(slotCount) where layout.slotHeader(slot).pointee != 0 {
            layout.slotHeader(slot).pointee = 0
        }
    }

    /// Makes `mutex` robust and shared between processes.
    private static func initialize(_ mutex: UnsafeMutablePointer<pthread_mutex_t>) {
        var attributes = pthread_mutexattr_t()
        pthread_mutexattr_init(&attributes)
        pthread_mutexattr_setpshared(&attributes, Int32(PTHREAD_PROCESS_SHARED))
        pthread_mutexattr_setrobust(&attributes, Int32(PTHREAD_MUTEX_ROBUST))
        pthread_mutex_init(mutex, &attributes)
        pthread_mutexattr_destroy(&attributes)
    }

    deinit {
        munmap(mapping, Self.size)
        close(descriptor)  // gives up the read lock that says this connection uses the queue
    }

    /// Whether a writer gets its turn within `timeout` seconds: takes it and gives it back at
    /// once. False when the queue is wedged: the writer whose turn it is keeps it (a process
    /// stopped or hung in its transaction).
    func answers(within timeout: Double) -> Bool {
        guard case .turn = enter(timeout: timeout) else { return false }
        leave()
        return true
    }

    /// How a writer's wait in line ended.
    enum Entry {
        /// Its turn: it runs its transaction itself. `recheck` when a writer that had taken its
        /// offered write died meanwhile, before or after committing it.
        case turn(recheck: Bool)
        /// The writer whose turn it was ran the offered write, committed and flushed it.
        case answered([UInt8])
        /// As `answered`, but the flush after the commit failed.
        case answeredUnflushed([UInt8])
        /// The turn did not come within the timeout; nothing was written.
        case timedOut
    }

    /// Waits at most `timeout` seconds for the turn. With `request`, the write it makes is offered
    /// to the writers ahead meanwhile (when there are any, it fits in a slot and the slot is
    /// free): one of them may run it in its own transaction and answer instead.
    func enter(timeout: Double, offering request: (() -> [UInt8])? = nil) -> Entry {
        let deadline = BusyWait.monotonicNanoseconds() + UInt64(max(0, timeout) * 1_000_000_000)
        let mine = clinux_atomic_add(nextTicket, 1)
        let holder = holders + Int(mine % Self.bellCount)
        clinux_atomic_store64(holder, UInt64(mine) << 32 | UInt64(clinux_thread_id()))
        let now = clinux_atomic_load(serving)
        var offer =
            now == mine
            ? nil : request.flatMap { OfferedWrite.post($0(), ticket: mine, serving: now, in: self) }
        var recheck = false
        switch waitForTurn(mine, offer: &offer, recheck: &recheck, until: deadline) {
        case .turn: break
        case .answered(let entry): return entry
        case .timedOut:
            clinux_atomic_store64(holder, UInt64(mine) << 32)  // given up
            pass(mine)  // in case the turn came just now
            return .timedOut
        }
        // The deadline on the monotonic clock: pthread_mutex_timedlock's is a wall-clock time,
        // which a step of the clock during the wait would move by as much.
        var until = timespec(tv_sec: Int(deadline / 1_000_000_000), tv_nsec: Int(deadline % 1_000_000_000))
        switch clinux_mutex_lock_until(mutex, &until) {
        case 0: break
        case EOWNERDEAD:
            // The last holder died in its turn; SQLite undoes its transaction, the queue goes on.
            pthread_mutex_consistent(mutex)
        default:
            pass(mine)
            return .timedOut
        }
        ticket = mine
        return .turn(recheck: recheck)
    }

    /// Gives the turn to the next writer, or past the writers up to `served` whose offered
    /// writes this one ran.
    func leave(through served: UInt32? = nil) {
        pthread_mutex_unlock(mutex)
        guard let served else { return pass(ticket) }
        if clinux_atomic_swap_if(serving, ticket, served &+ 1) != 0 { ring(served &+ 1) }
    }

    /// Takes the writes offered by the writers queued right behind this one, in their order, and
    /// runs each through `run` (inside this writer's transaction; an answer fits in a slot); stops
    /// at the first writer that offered nothing, whose write `run` hands back (nil), or after
    /// `limit`. The tickets taken, with their answers, for ``answer(_:flushed:)`` or
    /// ``handBack(_:)``.
    func takeOffers(limit: Int, _ run: ([UInt8]) -> [UInt8]?) -> [(ticket: UInt32, answer: [UInt8])] {
        var taken = [(ticket: UInt32, answer: [UInt8])]()
        var next = ticket &+ 1
        while taken.count < limit, Int32(bitPattern: clinux_atomic_load(nextTicket) &- next) > 0,
            let offer = OfferedWrite.take(ticket: next, in: self)
        {
            guard let answer = run(offer.request) else {
                offer.handBack()
                ring(next)
                break
            }
            taken.append((next, answer))
            next = next &+ 1
        }
        return taken
    }

    /// Gives the writers of `taken` their answers (once their commit is flushed, or failed to).
    func answer(_ taken: [(ticket: UInt32, answer: [UInt8])], flushed: Bool) {
        for (ticket, answer) in taken {
            OfferedWrite(ticket: ticket, in: self).answer(answer, flushed: flushed)
            ring(ticket)
        }
    }

    /// Hands the writes of `taken` back to their writers, not committed: each runs its own.
    func handBack(_ taken: [(ticket: UInt32, answer: [UInt8])]) {
        for (ticket, _) in taken {
            OfferedWrite(ticket: ticket, in: self).handBack()
            ring(ticket)
        }
    }

    private enum Wait {
        case turn
        case answered(Entry)
        case timedOut
    }

    /// Waits until ticket `mine` is served (or was passed over: the mutex alone then orders this
    /// writer), or its offered write was answered; timed out at `deadline`, unless another writer
    /// is running the offered write (it then waits for the answer).
    private func waitForTurn(
        _ mine: UInt32, offer: inout OfferedWrite?, recheck: inout Bool, until deadline: UInt64
    ) -> Wait {
        let bell = bells + Int(mine % Self.bellCount)
        var seen = clinux_atomic_load(serving)
        var seenAt = BusyWait.monotonicNanoseconds()
        var checkedAt = seenAt
        while true {
            let rung = clinux_atomic_load(bell)  // before `serving`: a ring after this wakes the wait
            let now = BusyWait.monotonicNanoseconds()
            if let posted = offer, let state = posted.state, state != OfferedWrite.offered {
                switch state {
                case OfferedWrite.answered, OfferedWrite.answeredUnflushed:
                    return .answered(posted.collect())
                case OfferedWrite.taken:
                    if now - checkedAt >= Self.checkTurnAfter {
                        checkedAt = now
                        if posted.reclaimIfRunnerDied() {
                            offer = nil
                            recheck = true  // it may have committed the write before it died
                            continue
                        }
                    }
                    clinux_futex_wait(bell, rung, Int(Self.checkTurnAfter))
                default:  // handed back
                    posted.clear()
                    offer = nil
                }
                continue
            } else if offer != nil, offer?.state == nil {
                offer = nil  // the slot was taken over as stale: the write may have been run
                recheck = true
            }
            let current = clinux_atomic_load(serving)
            let ahead = Int32(bitPattern: mine &- current)
            if ahead <= 0 || now >= deadline {
                if let posted = offer {
                    guard posted.withdraw() else { continue }  // taken just now: wait for its answer
                    offer = nil
                }
                return ahead <= 0 ? .turn : .timedOut
            }
            if current != seen {
                (seen, seenAt, checkedAt) = (current, now, now)
            } else if now - checkedAt >= Self.checkTurnAfter {
                checkedAt = now
                passOverIfAbandoned(current, unusedFor: now - seenAt)
            }
            let nap = min(deadline - now, ahead == 1 ? Self.checkTurnAfter : 5 * Self.checkTurnAfter)
            clinux_futex_wait(bell, rung, Int(nap))
        }
    }

    /// Passes over `turn` when its writer will not come for it: it gave up, or its thread is gone
    /// (a killed process); or when the turn has sat unused for ``passUnusedAfter``. Never while
    /// the mutex is held.
    private func passOverIfAbandoned(_ turn: UInt32, unusedFor unused: UInt64) {
        let record = clinux_atomic_load64(holders + Int(turn % Self.bellCount))
        let thread = Int32(truncatingIfNeeded: record & 0xFFFF_FFFF)
        let abandoned =
            UInt32(truncatingIfNeeded: record >> 32) == turn
            && (thread == 0 || (kill(thread, 0) != 0 && errno == ESRCH))
        guard abandoned || unused >= Self.passUnusedAfter else { return }
        switch pthread_mutex_trylock(mutex) {
        case 0: break
        case EOWNERDEAD: pthread_mutex_consistent(mutex)
        default: return  // its writer is at work after all
        }
        pass(turn)
        pthread_mutex_unlock(mutex)
    }

    /// Serves the ticket after `turn`, if `turn` is still being served.
    private func pass(_ turn: UInt32) {
        if clinux_atomic_swap_if(serving, turn, turn &+ 1) != 0 { ring(turn &+ 1) }
    }

    /// Wakes the writer holding `ticket`, if that ticket has been taken. (One taken after this
    /// looks reads `serving` after taking it, and so never sleeps through the change this follows.)
    private func ring(_ ticket: UInt32) {
        guard Int32(bitPattern: clinux_atomic_load(nextTicket) &- ticket) > 0 else { return }
        let bell = bells + Int(ticket % Self.bellCount)
        _ = clinux_atomic_add(bell, 1)
        clinux_futex_wake(bell)
    }

    /// Takes the right to checkpoint without waiting; false when another connection has it. A
    /// connection that died with it gives it up, as with the turn.
    func claimCheckpoint() -> Bool {
        switch pthread_mutex_trylock(checkpointMutex) {
        case 0: return true
        case EOWNERDEAD:
            pthread_mutex_consistent(checkpointMutex)
            return true
        default: return false
        }
    }

    /// Gives up the right to checkpoint.
    func releaseCheckpoint() { pthread_mutex_unlock(checkpointMutex) }

    /// The ticket to be handed out next and the ticket whose turn it is: tests wait for a writer
    /// to have queued (taken its ticket) on these.
    var tickets: (next: UInt32, serving: UInt32) { (clinux_atomic_load(nextTicket), clinux_atomic_load(serving)) }

    /// Where ticket `ticket`'s bell lies in the `-writer` file: its writer waits in line in
    /// futex(2) there, once its record says who holds the ticket.
    static func bellOffset(of ticket: UInt32) -> Int { WriterQueueLayout.bellsOffset + 4 * Int(ticket % bellCount) }
}
