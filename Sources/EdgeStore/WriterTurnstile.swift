import CLinux
import CWriterQueue

#if canImport(Glibc)
    import Glibc
#endif

/// A queue for the writer lock, shared by every process and thread that writes one database
/// through this module, kept in `<database>-writer`: writers take a ticket and go in the order of
/// their tickets, then hold the turn (a write lock on ``WriterQueueLayout/turnByte``) from before
/// `BEGIN IMMEDIATE` to after `COMMIT` or `ROLLBACK`. One instance is one connection's open file
/// and mapping of it (``WriterQueueFile`` opens it; ``WriterQueue`` picks the file and replaces
/// one that cannot serve).
///
/// SQLite's own lock has no queue: a writer that finds it taken sleeps and tries again, and
/// whoever wakes at the right moment goes next. Tickets serve writers in the order they came;
/// each sleeps until the one before it gives the turn up and rings its bell (BENCHMARKS.md).
/// The same file holds a mailbox where a waiting writer may offer its write (``OfferedWrite``).
///
/// The locks are the kernel's, held for this connection's open file: they go with the process
/// that dies holding them and no boot or copy of the file brings them back. The tickets are bytes:
/// a ticket whose writer will never come (its thread is gone, or it gave up) is passed over by
/// the writers behind it. It orders writers; it does not make them correct: SQLite's lock still
/// guards every write, so a writer may always go without the queue, and does when the turn is
/// kept by one that does not write (``bypassAfter``) or the bytes are no longer a queue's.
final class WriterTurnstile {
    /// The open `-writer` file: its read lock on ``WriterQueueLayout/inUseByte`` says this
    /// connection uses the queue.
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
    /// Why the file replaced the one before it, as it said when this connection attached.
    let note: WriterQueueNote?
    /// This connection's ticket while it has the turn.
    private var ticket: UInt32 = 0
    /// What this connection found impossible in the queue's words (its line gone back); nil
    /// while it found nothing.
    private var damage: String?
    private static let size = WriterQueueLayout.size

    /// How long a turn sits unused before the writers behind look at whether its writer is
    /// still coming.
    static let checkTurnAfter: UInt64 = 10_000_000  // 10 ms
    /// How long any turn may sit unused, its lock free, before it is passed over: its writer's
    /// record is missing (not yet written, or overwritten by a queue longer than ``bellCount``),
    /// or its process is dead but not yet reaped, or it is merely that slow (it then takes the
    /// lock when it comes).
    static let passUnusedAfter: UInt64 = 1_000_000_000  // 1 s
    /// How long a writer waits on a line that does not move, or on a turn whose lock stays taken,
    /// before it tries SQLite's lock without waiting: got, the writer that keeps the turn is not
    /// writing, and this one goes by.
    static let bypassAfter: UInt64 = 500_000_000  // 0.5 s
    /// More writers ahead than could ever wait: the line's words are not a queue's.
    static let mostAhead: Int32 = 1 << 16

    /// Takes over the queue ``WriterQueueFile`` attached: its descriptor, mapping and guard.
    init(_ attached: WriterQueueFile.Attached) {
        descriptor = attached.descriptor
        mapping = attached.mapping
        guardSlot = attached.guardSlot
        device = attached.device
        inode = attached.inode
        layout = WriterQueueLayout(base: attached.mapping)
        generation = clinux_atomic_load64(layout.generation)
        note = WriterQueueNote(in: layout)
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
        munmap(mapping, Self.size)
        close(descriptor)  // gives up every lock this connection holds on the file
    }

    /// Why the mapped bytes can no longer serve as the queue this connection attached to: the
    /// file shrank under the mapping, another header was written over it (a copy put back,
    /// random bytes), or its line went back. Nil while they serve; loads only.
    var brokenBecause: String? {
        // Loaded first: past the end of a truncated file they fault, and the guard says so.
        let magic = clinux_atomic_load64(layout.magic)
        let generation = clinux_atomic_load64(layout.generation)
        if writer_queue_lost(guardSlot) != 0 { return "it was truncated while in use" }
        if let damage { return damage }
        if magic != WriterQueueLayout.magic {
            return "its header is not a writer queue's: it was written over while in use"
        }
        if generation != self.generation {
            return "its bytes were written over while in use (a copy of another start of the queue put back)"
        }
        return nil
    }

    /// True once a new queue file took this one's name: its writers move there.
    var isRetired: Bool { clinux_atomic_load(layout.retired) != 0 }

    /// Tells every writer of this file to move to the new one, and wakes those asleep in line.
    func retire() {
        guard writer_queue_lost(guardSlot) == 0 else { return }
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
        /// The line stood still for ``bypassAfter`` and the `withoutQueue` of
        /// ``enter(until:offering:withoutQueue:)`` took SQLite's write lock: the transaction is
        /// begun, unqueued. `because` says who kept the turn.
        case bypassed(recheck: Bool, because: String)
        /// This file no longer serves as the queue (``brokenBecause``, ``isRetired``): nothing
        /// was written; the writer asks the queue its path names now.
        case moved(recheck: Bool)
    }

    /// Waits at most `timeout` seconds for the turn (see ``enter(until:offering:withoutQueue:)``).
    func enter(timeout: Double, offering request: (() -> [UInt8])? = nil) -> Entry {
        enter(until: BusyWait.monotonicNanoseconds() + UInt64(max(0, timeout) * 1e9), offering: request)
    }

    /// Waits until `deadline` (monotonic nanoseconds) for the turn. With `request`, the write it
    /// makes is offered to the writers ahead meanwhile (when there are any, it fits in a slot and
    /// the slot is free): one of them may run it in its own transaction and answer instead. With
    /// `withoutQueue`, a line that stands still for ``bypassAfter`` is gone by if `withoutQueue`
    /// begins the transaction at once (SQLite's lock is free: whoever keeps the turn is not
    /// writing).
    func enter(
        until deadline: UInt64, offering request: (() -> [UInt8])? = nil, withoutQueue: (() -> Bool)? = nil
    ) -> Entry {
        guard brokenBecause == nil, !isRetired else { return .moved(recheck: false) }
        let mine = clinux_atomic_add(nextTicket, 1)
        let holder = holders + Int(mine % Self.bellCount)
        clinux_atomic_store64(holder, UInt64(mine) << 32 | UInt64(clinux_thread_id()))
        let now = clinux_atomic_load(serving)
        let ahead = Int32(bitPattern: mine &- now)
        guard ahead >= 0, ahead < Self.mostAhead else {
            damage = "its line is not a queue's (ticket \(mine) taken with \(now) served): it was written over"
            return .moved(recheck: false)
        }
        var offer =
            ahead == 0 ? nil : request.flatMap { OfferedWrite.post($0(), ticket: mine, serving: now, in: self) }
        var recheck = false
        var waited = TurnWait(mine: mine, deadline: deadline, withoutQueue: withoutQueue)
        switch waitForTurn(&waited, offer: &offer, recheck: &recheck) {
        case .turn: break
        case .answered(let entry): return entry
        case .bypassed(let reason):
            giveUp(mine, holder)
            return .bypassed(recheck: recheck, because: reason)
        case .moved:
            giveUp(mine, holder)
            return .moved(recheck: recheck)
        case .timedOut:
            giveUp(mine, holder)
            return .timedOut
        }
        return lockTurn(&waited, recheck: recheck)
    }

    /// What a writer's wait has seen so far: its ticket, its deadline, when it next tries to go
    /// without the queue.
    private struct TurnWait {
        let mine: UInt32
        let deadline: UInt64
        let withoutQueue: (() -> Bool)?
        var nextTryWithoutQueue: UInt64 = 0
    }

    /// Marks ticket `mine` given up and passes the turn on, in case it came just now.
    private func giveUp(_ mine: UInt32, _ holder: UnsafeMutablePointer<UInt64>) {
        guard brokenBecause == nil else { return }
        clinux_atomic_store64(holder, UInt64(mine) << 32)
        pass(mine)
    }

    /// Takes the turn's lock once ticket `mine` is served. It is free unless a writer passed over
    /// while slow is at work, or a process that is not a writer keeps it; the writer sleeps on
    /// its bell between tries, a little longer each time, until its deadline (monotonic).
    private func lockTurn(_ waited: inout TurnWait, recheck: Bool) -> Entry {
        let bell = bells + Int(waited.mine % Self.bellCount)
        var nap: UInt64 = 50_000  // 50 µs
        waited.nextTryWithoutQueue = BusyWait.monotonicNanoseconds() + Self.bypassAfter
        while true {
            let rung = clinux_atomic_load(bell)
            if clinux_ofd_lock(descriptor, Int16(F_WRLCK), WriterQueueLayout.turnByte) == 0 {
                ticket = waited.mine
                return .turn(recheck: recheck)
            }
            let failure = errno
            if failure != EAGAIN, failure != EACCES, failure != EINTR {
                damage = "its turn cannot be locked: \(String(cString: strerror(failure)))"
            }
            guard brokenBecause == nil, !isRetired else {
                pass(waited.mine)
                return .moved(recheck: recheck)
            }
            if let reason = tryWithoutQueue(&waited, turn: waited.mine) {
                pass(waited.mine)
                return .bypassed(recheck: recheck, because: reason)
            }
            let now = BusyWait.monotonicNanoseconds()
            guard now < waited.deadline else {
                pass(waited.mine)
                return .timedOut
            }
            clinux_futex_wait(bell, rung, Int(min(nap, waited.deadline - now)))
            nap = min(nap * 2, Self.checkTurnAfter)
        }
    }

    /// Once the line has stood still ``bypassAfter`` (or the deadline came), and at most once each
    /// ``bypassAfter``: tries SQLite's write lock without waiting. Why the writer goes by when it
    /// got the lock (the transaction is then begun); nil otherwise.
    private func tryWithoutQueue(_ waited: inout TurnWait, turn: UInt32) -> String? {
        guard let begin = waited.withoutQueue else { return nil }
        let now = BusyWait.monotonicNanoseconds()
        guard now >= waited.nextTryWithoutQueue || now >= waited.deadline else { return nil }
        waited.nextTryWithoutQueue = now + Self.bypassAfter
        let kept = clinux_ofd_locked(descriptor, WriterQueueLayout.turnByte) == 1
        let holder = keeperOfTurn(turn, locked: kept)
        guard begin() else { return nil }
        let seconds = Double(Self.bypassAfter) / 1e9
        return kept
            ? "the turn was kept over \(seconds) s by \(holder), which was not writing"
            : "the line stood still over \(seconds) s: the writer of ticket \(turn) (\(holder)) did not take its turn"
    }

    /// Who keeps `turn`: the process holding a POSIX lock on the turn's byte, else the thread
    /// the ticket's record names.
    private func keeperOfTurn(_ turn: UInt32, locked: Bool) -> String {
        var info = stat()
        if locked, fstat(descriptor, &info) == 0,
            let process = WriterQueueFile.lockHolder(of: info, byte: WriterQueueLayout.turnByte, writeOnly: false)
        {
            return process
        }
        let record = clinux_atomic_load64(holders + Int(turn % Self.bellCount))
        let thread = UInt32(truncatingIfNeeded: record)
        guard UInt32(truncatingIfNeeded: record >> 32) == turn, thread != 0 else { return "a writer that gave up" }
        return WriterQueueFile.describe(thread: thread)
    }

    /// Gives the turn to the next writer, or past the writers up to `served` whose offered
    /// writes this one ran. On bytes that are no longer the queue's it gives up the lock only.
    func leave(through served: UInt32? = nil) {
        clinux_ofd_lock(descriptor, Int16(F_UNLCK), WriterQueueLayout.turnByte)
        guard brokenBecause == nil else { return }
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
        while taken.count < limit, brokenBecause == nil, Int32(bitPattern: clinux_atomic_load(nextTicket) &- next) > 0,
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
        for (ticket, answer) in taken where brokenBecause == nil {
            OfferedWrite(ticket: ticket, in: self).answer(answer, flushed: flushed)
            ring(ticket)
        }
    }

    /// Hands the writes of `taken` back to their writers, not committed: each runs its own.
    func handBack(_ taken: [(ticket: UInt32, answer: [UInt8])]) {
        for (ticket, _) in taken where brokenBecause == nil {
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

    /// Waits until ticket `mine` is served (or was passed over: the lock alone then orders this
    /// writer), or its offered write was answered; timed out at the deadline, unless another
    /// writer is running the offered write (it then waits for the answer). A line that has stood
    /// still for ``bypassAfter`` is gone by when SQLite's lock is free; one that goes back (its
    /// words put back from a copy) or whose file no longer serves is left.
    private func waitForTurn(_ waited: inout TurnWait, offer: inout OfferedWrite?, recheck: inout Bool) -> Wait {
        let mine = waited.mine
        let bell = bells + Int(mine % Self.bellCount)
        var seen = clinux_atomic_load(serving)
        var seenAt = BusyWait.monotonicNanoseconds()
        var checkedAt = seenAt
        var leastAhead = Int32(bitPattern: mine &- seen)
        waited.nextTryWithoutQueue = seenAt + Self.bypassAfter
        while true {
            let rung = clinux_atomic_load(bell)  // before `serving`: a ring after this wakes the wait
            let now = BusyWait.monotonicNanoseconds()
            let current = clinux_atomic_load(serving)
            let ahead = Int32(bitPattern: mine &- current)
            if ahead > leastAhead {
                damage = "its line went back (ticket \(current) served after \(seen)): a copy of it was put back"
            }
            if brokenBecause != nil || isRetired {
                if let posted = offer {
                    if brokenBecause == nil, let state = posted.state,
                        state == OfferedWrite.answered || state == OfferedWrite.answeredUnflushed
                    {
                        return .answered(posted.collect())
                    }
                    // Taken by a writer that may commit it: that writer holds SQLite's lock until
                    // it has, so a recheck made under that lock finds it.
                    if !(brokenBecause == nil && posted.withdraw()) { recheck = true }
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
            let stalled = ahead > 0 && (now >= waited.deadline || now - seenAt >= Self.bypassAfter)
            if ahead <= 0 || stalled {
                if let posted = offer {
                    guard posted.withdraw() else { continue }  // taken just now: wait for its answer
                    offer = nil
                }
                if ahead <= 0 { return .turn }
                if let reason = tryWithoutQueue(&waited, turn: current) { return .bypassed(reason) }
                if now >= waited.deadline { return .timedOut }
            }
            if current != seen {
                (seen, seenAt, checkedAt, leastAhead) = (current, now, now, ahead)
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
    /// its lock is held.
    private func passOverIfAbandoned(_ turn: UInt32, unusedFor unused: UInt64) {
        let record = clinux_atomic_load64(holders + Int(turn % Self.bellCount))
        let thread = Int32(truncatingIfNeeded: record & 0xFFFF_FFFF)
        let abandoned =
            UInt32(truncatingIfNeeded: record >> 32) == turn
            && (thread == 0 || (kill(thread, 0) != 0 && errno == ESRCH))
        guard abandoned || unused >= Self.passUnusedAfter else { return }
        // Taken only while nobody holds it: its writer is not at work.
        guard clinux_ofd_lock(descriptor, Int16(F_WRLCK), WriterQueueLayout.turnByte) == 0 else { return }
        pass(turn)
        clinux_ofd_lock(descriptor, Int16(F_UNLCK), WriterQueueLayout.turnByte)
    }

    /// Serves the ticket after `turn`, if `turn` is still being served.
    private func pass(_ turn: UInt32) {
        guard brokenBecause == nil else { return }
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

    /// Takes the right to checkpoint without waiting; false when another connection has it. The
    /// kernel takes it back from a connection that closes or whose process dies.
    func claimCheckpoint() -> Bool {
        clinux_ofd_lock(descriptor, Int16(F_WRLCK), WriterQueueLayout.checkpointByte) == 0
    }

    /// Gives up the right to checkpoint.
    func releaseCheckpoint() { clinux_ofd_lock(descriptor, Int16(F_UNLCK), WriterQueueLayout.checkpointByte) }

    /// The ticket to be handed out next and the ticket whose turn it is: tests wait for a writer
    /// to have queued (taken its ticket) on these.
    var tickets: (next: UInt32, serving: UInt32) { (clinux_atomic_load(nextTicket), clinux_atomic_load(serving)) }

    /// Where ticket `ticket`'s bell lies in the `-writer` file: its writer waits in line in
    /// futex(2) there, once its record says who holds the ticket.
    static func bellOffset(of ticket: UInt32) -> Int { WriterQueueLayout.bellsOffset + 4 * Int(ticket % bellCount) }
}
