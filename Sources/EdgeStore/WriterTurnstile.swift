import CLinux
import CSQLite
import CWriterQueue
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// A queue for the writer lock, shared by every process and thread that writes one database
/// through this module, kept in `<database>-writer`: writers take a ticket and go in the order of
/// their tickets, then hold a robust, process-shared mutex from before `BEGIN IMMEDIATE` to after
/// `COMMIT` or `ROLLBACK`. One instance is one connection's mapping of one such file
/// (``WriterQueueFile`` opens it; ``WriterQueue`` picks the file and replaces a damaged one).
///
/// SQLite's own lock has no queue: a writer that finds it taken sleeps and tries again, and
/// whoever wakes at the right moment goes next. Tickets serve writers in the order they came;
/// each sleeps until the one before it gives the turn up and rings its bell (BENCHMARKS.md).
/// The same file holds a mailbox where a waiting writer may offer its write (``OfferedWrite``).
///
/// It orders writers; it does not make them correct: SQLite's lock still guards every write, so
/// a writer may always go without the queue. It does when the queue cannot serve it: its bytes
/// are no longer the ones it attached to (written over, shrunk: ``isIntact``), or the turn's
/// mutex stays locked by a thread that writes nothing while SQLite's lock is free. A mutex locked
/// by a thread that is gone, which only bytes put back from a copy can hold (the kernel hands on
/// the mutex of a thread that dies), is handed on as the kernel would have.
final class WriterTurnstile {
    /// The open `-writer` file: its read lock says this connection uses the queue.
    private let descriptor: Int32
    private let mapping: UnsafeMutableRawPointer
    /// Its slot in the guard that turns a SIGBUS on the mapping into zeroed pages.
    private let guardSlot: Int32
    /// The file's device and inode when this connection attached to it.
    let device: UInt64
    let inode: UInt64
    private let layout: WriterQueueLayout
    /// The queue's generation when this connection attached to it.
    private let generation: UInt64
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
    /// The mailbox: a slot per ticket (modulo ``slotCount``) for ``OfferedWrite``.
    let slots: UnsafeMutableRawPointer
    static let slotCount = WriterQueueLayout.slotCount
    static let slotSize = WriterQueueLayout.slotSize
    /// This connection's ticket while it has the turn.
    private var ticket: UInt32 = 0
    /// A mutex of this mapping was held while its bytes were written over: glibc's list of the
    /// thread's robust mutexes may still point into it, so the range stays mapped after close.
    private var keepMapped = false
    /// Why this mapping can no longer serve (a mutex that cannot be locked any more); nil while it can.
    private(set) var damage: String?
    private static let size = WriterQueueLayout.size

    /// Connections of this process between asking for a turn and giving it back: with none, a
    /// turn's mutex locked by a thread of this process is a lock word put back from a copy.
    private static let turnsInFlight = Atomic<Int>(0)

    /// How long a turn sits unused before the writers behind look at whether its writer is
    /// still coming.
    static let checkTurnAfter: UInt64 = 10_000_000  // 10 ms
    /// How long any turn may sit unused, its mutex free, before it is passed over: its writer's
    /// record is missing (not yet written, or overwritten by a queue longer than ``bellCount``),
    /// or its process is dead but not yet reaped, or it is merely that slow (it then takes the
    /// mutex when it comes).
    static let passUnusedAfter: UInt64 = 1_000_000_000  // 1 s
    /// How long a writer waits on a turn whose mutex stays locked before it tries SQLite's lock
    /// without waiting, and writes unqueued if it gets it: the holder is not writing.
    static let bypassAfter: UInt64 = 1_000_000_000  // 1 s

    /// Takes over the queue ``WriterQueueFile`` attached: its descriptor, mapping and guard.
    init(_ attached: WriterQueueFile.Attached) {
        descriptor = attached.descriptor
        mapping = attached.mapping
        guardSlot = attached.guardSlot
        device = UInt64(attached.info.st_dev)
        inode = UInt64(attached.info.st_ino)
        layout = WriterQueueLayout(base: attached.mapping)
        generation = clinux_atomic_load64(layout.generation)
        mutex = layout.turnMutex
        checkpointMutex = layout.checkpointMutex
        nextTicket = layout.nextTicket
        serving = layout.serving
        bells = layout.bells
        holders = layout.holders
        slots = layout.slots
    }

    /// Opens (creating when missing) the queue of the database at `databasePath` as a new
    /// connection would; nil when its file cannot be used.
    convenience init?(databasePath: String) {
        guard case .success(let attached) = WriterQueueFile.attach(path: databasePath + "-writer", owner: nil)
        else { return nil }
        self.init(attached)
    }

    deinit {
        writer_queue_unguard(guardSlot)
        if keepMapped {
            _ = writer_queue_abandon(mapping, Self.size)
        } else {
            munmap(mapping, Self.size)
        }
        close(descriptor)  // gives up the read lock that says this connection uses the queue
    }

    /// True while the mapped bytes are still those of the queue this connection attached to:
    /// the file did not shrink under the mapping, and nothing wrote another header over it (a
    /// copy put back, random bytes). Loads only: checked before each use.
    var isIntact: Bool {
        writer_queue_lost(guardSlot) == 0 && damage == nil
            && clinux_atomic_load64(layout.turnMagic) == WriterQueueLayout.turnMagic
            && clinux_atomic_load64(layout.checkpointMagic) == WriterQueueLayout.checkpointMagic
            && clinux_atomic_load64(layout.generation) == generation
    }

    /// Why the mapped bytes no longer serve, when they do not (``isIntact``).
    var brokenBecause: String? {
        if writer_queue_lost(guardSlot) != 0 { return "it shrank under the queue (truncated while in use)" }
        if let damage { return damage }
        if clinux_atomic_load64(layout.turnMagic) != WriterQueueLayout.turnMagic
            || clinux_atomic_load64(layout.checkpointMagic) != WriterQueueLayout.checkpointMagic
        {
            return "its header is not a writer queue's: it was written over"
        }
        if clinux_atomic_load64(layout.generation) != generation {
            return "its bytes were put back from a copy of an earlier start of the queue"
        }
        return nil
    }

    /// True once a new queue file took this one's name: its writers move there.
    var isRetired: Bool { clinux_atomic_load(layout.retired) != 0 }

    /// Tells every writer of this file to move to the new one, and wakes those asleep in line.
    func retire() {
        guard isIntact else { return }
        clinux_atomic_store(layout.retired, 1)
        for bell in 0..<Int(Self.bellCount) {
            _ = clinux_atomic_add(bells + bell, 1)
            clinux_futex_wake(bells + bell)
        }
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
        /// The turn stayed taken by a writer that is not writing, and `withoutQueue` took
        /// SQLite's write lock: the transaction is begun, unqueued. `holder` names who kept it.
        case bypassed(recheck: Bool, holder: String)
        /// This file no longer serves as the queue (``isIntact``, ``isRetired``): nothing was
        /// written; the writer asks the queue its path names now.
        case moved(recheck: Bool)
    }

    /// Waits at most `timeout` seconds for the turn (see ``enter(until:offering:withoutQueue:)``).
    func enter(timeout: Double, offering request: (() -> [UInt8])? = nil) -> Entry {
        enter(until: BusyWait.monotonicNanoseconds() + UInt64(max(0, timeout) * 1e9), offering: request)
    }

    /// Waits until `deadline` (monotonic nanoseconds) for the turn. With `request`, the write it
    /// makes is offered to the writers ahead meanwhile (when there are any, it fits in a slot and
    /// the slot is free): one of them may run it in its own transaction and answer instead. With
    /// `withoutQueue`, a turn kept for ``bypassAfter`` (or until the deadline) by a writer that
    /// does not write is passed by: `withoutQueue` begins the transaction if SQLite's lock is free.
    func enter(
        until deadline: UInt64, offering request: (() -> [UInt8])? = nil, withoutQueue: (() -> Bool)? = nil
    ) -> Entry {
        guard isIntact, !isRetired else { return .moved(recheck: false) }
        Self.turnsInFlight.add(1, ordering: .relaxed)
        let entry = line(until: deadline, offering: request, withoutQueue: withoutQueue)
        if case .turn = entry {} else { Self.turnsInFlight.subtract(1, ordering: .relaxed) }
        return entry
    }

    private func line(until deadline: UInt64, offering request: (() -> [UInt8])?, withoutQueue: (() -> Bool)?)
        -> Entry
    {
        let mine = clinux_atomic_add(nextTicket, 1)
        let holder = holders + Int(mine % Self.bellCount)
        clinux_atomic_store64(holder, UInt64(mine) << 32 | UInt64(clinux_thread_id()))
        let now = clinux_atomic_load(serving)
        var offer =
            now == mine
            ? nil : request.flatMap { OfferedWrite.post($0(), ticket: mine, serving: now, in: self) }
        var recheck = false
        var waited = TurnWait(mine: mine, deadline: deadline, withoutQueue: withoutQueue)
        switch waitForTurn(&waited, offer: &offer, recheck: &recheck) {
        case .turn: break
        case .answered(let entry): return entry
        case .bypassed(let who):
            giveUp(mine, holder)
            return .bypassed(recheck: recheck, holder: who)
        case .moved:
            if isIntact { giveUp(mine, holder) }
            return .moved(recheck: recheck)
        case .timedOut:
            giveUp(mine, holder)
            return .timedOut
        }
        return lockTurn(&waited, recheck: recheck)
    }

    /// What a writer's wait has seen so far: its ticket, its deadline, when it last tried to go
    /// without the queue.
    private struct TurnWait {
        let mine: UInt32
        let deadline: UInt64
        let withoutQueue: (() -> Bool)?
        /// When the writer next tries SQLite's lock without the queue.
        var nextTryWithoutQueue: UInt64 = 0
    }

    /// Marks ticket `mine` given up and passes the turn on, in case it came just now.
    private func giveUp(_ mine: UInt32, _ holder: UnsafeMutablePointer<UInt64>) {
        clinux_atomic_store64(holder, UInt64(mine) << 32)
        pass(mine)
    }

    /// Takes the turn's mutex once ticket `mine` is served. The deadline is on the monotonic
    /// clock (pthread_mutex_timedlock's is a wall-clock time, which a step would move). It waits
    /// in slices, and after each looks at who keeps the mutex.
    private func lockTurn(_ waited: inout TurnWait, recheck: Bool) -> Entry {
        var slice = Self.checkTurnAfter
        waited.nextTryWithoutQueue = BusyWait.monotonicNanoseconds() + Self.bypassAfter
        while true {
            let until = min(waited.deadline, BusyWait.monotonicNanoseconds() + slice)
            slice = 10 * Self.checkTurnAfter
            var limit = timespec(tv_sec: Int(until / 1_000_000_000), tv_nsec: Int(until % 1_000_000_000))
            switch clinux_mutex_lock_until(mutex, &limit) {
            case 0:
                ticket = waited.mine
                return .turn(recheck: recheck)
            case EOWNERDEAD:
                // The last holder died in its turn; SQLite undoes its transaction, the queue goes on.
                pthread_mutex_consistent(mutex)
                ticket = waited.mine
                return .turn(recheck: recheck)
            case ETIMEDOUT: break
            case let failure:
                if failure == ENOTRECOVERABLE { damage = "its turn's mutex can no longer be locked (not recoverable)" }
                usleep(UInt32(Self.checkTurnAfter / 1000))  // never a busy loop on a mutex that fails at once
            }
            guard isIntact, !isRetired else {
                if isIntact { pass(waited.mine) }
                return .moved(recheck: recheck)
            }
            if handOnIfHolderGone(ownTurns: 1) { continue }
            if let holder = tryWithoutQueue(&waited) {
                pass(waited.mine)
                return .bypassed(recheck: recheck, holder: holder)
            }
            if BusyWait.monotonicNanoseconds() >= waited.deadline {
                pass(waited.mine)
                return .timedOut
            }
        }
    }

    /// Once the turn has been kept ``bypassAfter`` (or the deadline came), and at most once each
    /// ``bypassAfter``: tries SQLite's write lock without waiting. Who keeps the turn's mutex when
    /// it got the lock (the transaction is then begun); nil otherwise.
    private func tryWithoutQueue(_ waited: inout TurnWait) -> String? {
        guard let begin = waited.withoutQueue else { return nil }
        let now = BusyWait.monotonicNanoseconds()
        guard now >= waited.nextTryWithoutQueue || now >= waited.deadline else { return nil }
        waited.nextTryWithoutQueue = now + Self.bypassAfter
        let holder = writer_queue_mutex_holder(mutex)
        guard begin() else { return nil }
        return holder == 0 ? "nobody (the line did not move)" : WriterQueueFile.describe(thread: holder)
    }

    /// Hands the turn's mutex on when the thread its lock word names cannot be holding it: a
    /// thread that no longer exists, or one of this process's own while none of its connections
    /// but the `ownTurns` of the caller is in a turn. Such a lock word came with bytes put back
    /// from a copy: the kernel clears the word of a thread that dies holding the mutex. Notes it
    /// in the file (``WriterQueueNote``). True when it did.
    @discardableResult
    func handOnIfHolderGone(ownTurns: Int) -> Bool {
        guard isIntact else { return false }
        let holder = writer_queue_mutex_holder(mutex)
        guard holder != 0 else { return false }
        let gone = kill(pid_t(bitPattern: holder), 0) != 0 && errno == ESRCH
        let ours =
            !gone && access("/proc/self/task/\(holder)", F_OK) == 0
            && Self.turnsInFlight.load(ordering: .relaxed) <= ownTurns
        guard gone || ours, writer_queue_hand_on(mutex, holder) != 0 else { return false }
        note(
            .handedOn,
            "the turn's mutex was held by thread \(holder), "
                + (gone ? "which no longer exists" : "of this process, which holds no turn")
                + ": bytes put back from a copy of the file")
        return true
    }

    /// Gives the turn to the next writer, or past the writers up to `served` whose offered
    /// writes this one ran. On bytes written over meanwhile it touches nothing.
    func leave(through served: UInt32? = nil) {
        Self.turnsInFlight.subtract(1, ordering: .relaxed)
        guard isIntact else {
            keepMapped = true
            return
        }
        if pthread_mutex_unlock(mutex) != 0 { keepMapped = true }
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
        while taken.count < limit, isIntact, Int32(bitPattern: clinux_atomic_load(nextTicket) &- next) > 0,
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
        for (ticket, answer) in taken where isIntact {
            OfferedWrite(ticket: ticket, in: self).answer(answer, flushed: flushed)
            ring(ticket)
        }
    }

    /// Hands the writes of `taken` back to their writers, not committed: each runs its own.
    func handBack(_ taken: [(ticket: UInt32, answer: [UInt8])]) {
        for (ticket, _) in taken where isIntact {
            OfferedWrite(ticket: ticket, in: self).handBack()
            ring(ticket)
        }
    }

    private enum Wait {
        case turn
        case answered(Entry)
        case timedOut
        case bypassed(String)
        case moved
    }

    /// Waits until ticket `mine` is served (or was passed over: the mutex alone then orders this
    /// writer), or its offered write was answered; timed out at the deadline, unless another
    /// writer is running the offered write (it then waits for the answer). A line that has not
    /// moved for ``bypassAfter`` while the turn's mutex is kept is left when SQLite's lock is free.
    private func waitForTurn(_ waited: inout TurnWait, offer: inout OfferedWrite?, recheck: inout Bool) -> Wait {
        let mine = waited.mine
        let bell = bells + Int(mine % Self.bellCount)
        var seen = clinux_atomic_load(serving)
        var seenAt = BusyWait.monotonicNanoseconds()
        var checkedAt = seenAt
        waited.nextTryWithoutQueue = seenAt + Self.bypassAfter
        while true {
            let rung = clinux_atomic_load(bell)  // before `serving`: a ring after this wakes the wait
            let now = BusyWait.monotonicNanoseconds()
            guard isIntact, !isRetired else {
                if let posted = offer {
                    if isIntact, let state = posted.state,
                        state == OfferedWrite.answered || state == OfferedWrite.answeredUnflushed
                    {
                        return .answered(posted.collect())
                    }
                    // Taken by a writer that may commit it: that writer holds SQLite's lock until
                    // it has, so a recheck made under that lock finds it.
                    if !(isIntact && posted.withdraw()) { recheck = true }
                    offer = nil
                }
                return .moved
            }
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
            let stalled = ahead > 0 && (now >= waited.deadline || now - seenAt >= Self.bypassAfter)
            if ahead <= 0 || stalled {
                if let posted = offer {
                    guard posted.withdraw() else { continue }  // taken just now: wait for its answer
                    offer = nil
                }
                if ahead <= 0 { return .turn }
                if let holder = tryWithoutQueue(&waited) { return .bypassed(holder) }
                if now >= waited.deadline { return .timedOut }
            }
            if current != seen {
                (seen, seenAt, checkedAt) = (current, now, now)
            } else if now - checkedAt >= Self.checkTurnAfter {
                checkedAt = now
                passOverIfAbandoned(current, unusedFor: now - seenAt)
            }
            let nap = min(waited.deadline - now, ahead == 1 ? Self.checkTurnAfter : 5 * Self.checkTurnAfter)
            clinux_futex_wait(bell, rung, Int(nap))
        }
    }

    /// Passes over `turn` when its writer will not come for it: it gave up, or its thread is gone
    /// (a killed process); or when the turn has sat unused for ``passUnusedAfter``. Never while
    /// the mutex is held (unless by a thread that cannot be holding it: ``handOnIfHolderGone``).
    private func passOverIfAbandoned(_ turn: UInt32, unusedFor unused: UInt64) {
        let record = clinux_atomic_load64(holders + Int(turn % Self.bellCount))
        let thread = Int32(truncatingIfNeeded: record & 0xFFFF_FFFF)
        let abandoned =
            UInt32(truncatingIfNeeded: record >> 32) == turn
            && (thread == 0 || (kill(thread, 0) != 0 && errno == ESRCH))
        guard abandoned || unused >= Self.passUnusedAfter else { return }
        var locked = pthread_mutex_trylock(mutex)
        if locked == EBUSY, handOnIfHolderGone(ownTurns: 1) { locked = pthread_mutex_trylock(mutex) }
        switch locked {
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
    /// connection that died with it gives it up, as with the turn, and so does a thread that is
    /// gone in bytes put back from a copy.
    func claimCheckpoint() -> Bool {
        guard isIntact else { return false }
        var locked = pthread_mutex_trylock(checkpointMutex)
        if locked == EBUSY {
            let holder = writer_queue_mutex_holder(checkpointMutex)
            if holder != 0, kill(pid_t(bitPattern: holder), 0) != 0, errno == ESRCH,
                writer_queue_hand_on(checkpointMutex, holder) != 0
            {
                locked = pthread_mutex_trylock(checkpointMutex)
            }
        }
        switch locked {
        case 0: return true
        case EOWNERDEAD:
            pthread_mutex_consistent(checkpointMutex)
            return true
        default: return false
        }
    }

    /// Gives up the right to checkpoint.
    func releaseCheckpoint() {
        guard isIntact, pthread_mutex_unlock(checkpointMutex) == 0 else {
            keepMapped = true
            return
        }
    }

    /// What the file's header says last happened to the queue; nil when nothing was noted (or a
    /// note is being written).
    var lastNote: WriterQueueNote? {
        guard isIntact else { return nil }
        let before = clinux_atomic_load(layout.noteSequence)
        guard before != 0, before & 1 == 0 else { return nil }
        let milliseconds = Int64(bitPattern: clinux_atomic_load64(layout.noteTime))
        let bytes = UnsafeRawBufferPointer(start: layout.noteText, count: WriterQueueLayout.noteTextSize)
        let text = String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self)
        guard clinux_atomic_load(layout.noteSequence) == before else { return nil }
        return WriterQueueNote(stored: text, milliseconds: milliseconds)
    }

    /// Writes what happened to the queue in the file's header, for every process that uses it
    /// (the daemon logs it, `health` shows it); skipped while another process writes one.
    func note(_ kind: WriterQueueNote.Kind, _ reason: String) {
        guard isIntact else { return }
        let before = clinux_atomic_load(layout.noteSequence)
        guard before & 1 == 0, clinux_atomic_swap_if(layout.noteSequence, before, before &+ 1) != 0 else { return }
        WriterQueueNote(kind: kind, reason: reason).store(in: layout)
        clinux_atomic_store(layout.noteSequence, before &+ 2)
    }

    /// The ticket to be handed out next and the ticket whose turn it is: tests wait for a writer
    /// to have queued (taken its ticket) on these.
    var tickets: (next: UInt32, serving: UInt32) { (clinux_atomic_load(nextTicket), clinux_atomic_load(serving)) }

    /// Where ticket `ticket`'s bell lies in the `-writer` file: its writer waits in line in
    /// futex(2) there, once its record says who holds the ticket.
    static func bellOffset(of ticket: UInt32) -> Int { WriterQueueLayout.bellsOffset + 4 * Int(ticket % bellCount) }
}
