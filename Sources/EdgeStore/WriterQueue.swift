#if canImport(Glibc)
    import Glibc
#endif

/// The writers' queue of one database as one connection uses it: the `-writer` file it is
/// attached to (``WriterTurnstile``), looked at before each write transaction, and left when it no
/// longer serves.
///
/// Before each write, one `lstat` of the path and a few loads from the mapping tell whether the
/// path still names the file attached, whole, with one name and the database's owner, and its
/// bytes still the queue's. When the path went to another file (a new queue another connection
/// made, a file moved there), the connection attaches to that one; when the file itself is wrong
/// (written over, shrunk, hard-linked, someone else's, held by another program's `flock`), a new
/// queue file takes its name (``WriterQueueFile/replace(path:owner:reason:)``) and every
/// connection of the old one moves to it at its next write. Where no file can serve, the
/// connection writes unqueued, under SQLite's lock and busy wait alone, and tries again a second
/// later. What happened is noted in the file (``WriterQueueNote``) and in ``WriterQueueIncidents``.
final class WriterQueue {
    /// The queue file's path: the database's, as SQLite opened it, with `-writer`.
    let path: String
    private let owner: WriterQueueFile.Owner?
    private var turnstile: WriterTurnstile?
    /// Why this connection writes unqueued, while it does.
    private(set) var unqueuedBecause: String?
    /// When (monotonic nanoseconds) an unqueued connection tries the file again.
    private var retryAt: UInt64 = 0
    /// The last note of the queue this connection reported.
    private var reportedNote: WriterQueueNote?

    /// How long a connection without a queue file writes unqueued before it tries again.
    static let retryAfter: UInt64 = 1_000_000_000  // 1 s

    /// The queue of the database at `databasePath` (as SQLite opened it), owned by `owner`.
    init(databasePath: String, owner: WriterQueueFile.Owner?) {
        path = databasePath + "-writer"
        // A file this process cannot give the owner (not root, not the owner) is not asked of it.
        self.owner = owner.flatMap { geteuid() == 0 || $0.user == geteuid() ? $0 : nil }
        _ = WriterQueueIncidents.startedAt
        _ = current()
    }

    /// The turnstile for the next write transaction, once the file is looked at; nil to write
    /// unqueued.
    func current() -> WriterTurnstile? {
        if let attached = turnstile {
            guard let trouble = trouble(with: attached) else { return attached }
            turnstile = nil
            if case .broken(let reason) = trouble, names(attached) {
                return replace(because: reason, retiring: attached)
            }
        } else if BusyWait.monotonicNanoseconds() < retryAt {
            return nil
        }
        return attach()
    }

    /// How a wait for the queue ended.
    enum Entry {
        /// The turn, in `turnstile`: the transaction is its own to begin.
        case turn(WriterTurnstile, recheck: Bool)
        case answered([UInt8])
        case answeredUnflushed([UInt8])
        case timedOut
        /// No turn to wait for: the transaction goes unqueued, `begun` already (SQLite's lock
        /// taken) or not; `because` says why.
        case unqueued(begun: Bool, recheck: Bool, because: String)
    }

    /// Waits at most `timeout` seconds for the turn, in the queue the path names, moving along
    /// when that file is replaced meanwhile (see ``WriterTurnstile/enter(until:offering:withoutQueue:)``).
    func enter(timeout: Double, offering request: (() -> [UInt8])?, withoutQueue: (() -> Bool)?) -> Entry {
        let deadline = BusyWait.monotonicNanoseconds() + UInt64(max(0, timeout) * 1e9)
        var recheck = false
        for _ in 0..<3 {
            guard let turnstile = current() else {
                return .unqueued(begun: false, recheck: recheck, because: unqueuedBecause ?? "no queue file")
            }
            switch turnstile.enter(until: deadline, offering: request, withoutQueue: withoutQueue) {
            case .turn(let again): return .turn(turnstile, recheck: recheck || again)
            case .answered(let answer): return .answered(answer)
            case .answeredUnflushed(let answer): return .answeredUnflushed(answer)
            case .timedOut: return .timedOut
            case .bypassed(let again, let holder):
                let reason =
                    "the turn was kept over \(WriterTurnstile.bypassAfter / 1_000_000_000) s by \(holder), "
                    + "which was not writing: writers went by unqueued"
                if turnstile.lastNote?.reason != reason { turnstile.note(.bypassed, reason) }
                report(turnstile)
                return .unqueued(begun: true, recheck: recheck || again, because: reason)
            case .moved(let again): recheck = recheck || again  // `current()` finds out where to
            }
        }
        return .unqueued(begun: false, recheck: recheck, because: "the queue file kept changing")
    }

    /// Looks at the queue between writes, as a long-running process does: what ``current()``
    /// looks at, a turn's mutex locked by a thread that cannot be holding it (handed on), and
    /// what the file notes.
    func check() {
        guard let turnstile = current() else { return }
        turnstile.handOnIfHolderGone(ownTurns: 0)
        report(turnstile)
    }

    /// What the queue file last noted.
    var note: WriterQueueNote? { turnstile?.lastNote }

    private enum Trouble {
        /// The path names another file now, or none, or this one was replaced: attach afresh.
        case moved
        /// This file cannot serve, for `reason`.
        case broken(String)
    }

    /// What keeps `attached` from serving the next write, if anything.
    private func trouble(with attached: WriterTurnstile) -> Trouble? {
        var named = stat()
        guard lstat(path, &named) == 0, UInt64(named.st_dev) == attached.device, UInt64(named.st_ino) == attached.inode
        else { return .moved }
        if let problem = WriterQueueFile.unsuitable(named, owner: owner) { return .broken(problem.reason) }
        if named.st_size < WriterQueueLayout.size {
            return .broken("it is \(named.st_size) bytes, not \(WriterQueueLayout.size): it shrank while in use")
        }
        if let reason = attached.brokenBecause { return .broken(reason) }
        return attached.isRetired ? .moved : nil
    }

    /// True when the path still names the file of `attached`.
    private func names(_ attached: WriterTurnstile) -> Bool {
        var named = stat()
        return lstat(path, &named) == 0 && UInt64(named.st_dev) == attached.device
            && UInt64(named.st_ino) == attached.inode
    }

    private func attach() -> WriterTurnstile? {
        switch WriterQueueFile.attach(path: path, owner: owner) {
        case .success(let attached): return use(WriterTurnstile(attached))
        case .failure(let problem) where problem.replaceable: return replace(because: problem.reason, retiring: nil)
        case .failure(let problem): return unqueued(because: problem.reason)
        }
    }

    /// Puts a new queue file in the place of the one at the path, which cannot serve for
    /// `reason`; the connections of `retiring` (the old file, when this one had it) move to it.
    private func replace(because reason: String, retiring old: WriterTurnstile?) -> WriterTurnstile? {
        switch WriterQueueFile.replace(path: path, owner: owner, reason: reason) {
        case .success(let attached):
            old?.retire()
            return use(WriterTurnstile(attached))
        case .failure(let problem): return unqueued(because: "\(reason); \(problem.reason)")
        }
    }

    private func use(_ attached: WriterTurnstile) -> WriterTurnstile {
        turnstile = attached
        unqueuedBecause = nil
        WriterQueueIncidents.queued(path)
        report(attached)
        return attached
    }

    private func unqueued(because reason: String) -> WriterTurnstile? {
        unqueuedBecause = reason
        retryAt = BusyWait.monotonicNanoseconds() + Self.retryAfter
        WriterQueueIncidents.unqueued(path, because: reason)
        return nil
    }

    /// Hands what the file last noted to ``WriterQueueIncidents``, once.
    private func report(_ attached: WriterTurnstile) {
        guard let note = attached.lastNote, note != reportedNote else { return }
        reportedNote = note
        WriterQueueIncidents.noted(path, note)
    }
}

/// What a writer meets in a database's writers' queue (``Database/writersQueueStatus(within:)``).
public struct WritersQueueStatus: Sendable, Equatable {
    /// A writer got through in the time given: its turn, or SQLite's lock without the queue.
    public let answers: Bool
    /// Why writers go without the queue, when they do.
    public let unqueued: String?
    /// What the queue file last noted.
    public let note: WriterQueueNote?

    init(answers: Bool, unqueued: String? = nil, note: WriterQueueNote? = nil) {
        self.answers = answers
        self.unqueued = unqueued
        self.note = note
    }
}
