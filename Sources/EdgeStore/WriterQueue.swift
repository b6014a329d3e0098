#if canImport(Glibc)
    import Glibc
#endif

/// The writers' queue of one database as one connection uses it: the `-writer` file it is
/// attached to (``WriterTurnstile``), checked before each write transaction, and left when it no
/// longer serves.
///
/// Before each write a few loads from the mapping tell whether its bytes are still the queue's
/// and whether another connection replaced the file; once a second (``lookEvery``), and whenever
/// a long-running process asks (``check()``), one `lstat` tells whether the path still names the
/// file, with one name, the database's owner and its whole size. When the path went to another
/// file, the connection attaches to that one; when the file itself is wrong (written over,
/// truncated, hard-linked, someone else's, its turn kept by one that does not write), a new queue
/// file takes its name (``WriterQueueFile/replace(path:owner:reason:)``) and every connection of
/// the old one moves to it at its next write. Where no file can serve, the connection writes
/// unqueued, under SQLite's lock and busy wait alone, and tries again a second later. What
/// happened goes to ``WriterQueueIncidents``.
final class WriterQueue {
    /// The queue file's path: the database's, as SQLite opened it, with `-writer`.
    let path: String
    private let owner: WriterQueueFile.Owner?
    private var turnstile: WriterTurnstile?
    /// Why this connection writes unqueued, while it does.
    private(set) var unqueuedBecause: String?
    /// When (monotonic nanoseconds) an unqueued connection tries the file again.
    private var retryAt: UInt64 = 0
    /// When (monotonic nanoseconds) the path was last looked at.
    private var lookedAt: UInt64 = 0

    /// How long a connection without a queue file writes unqueued before it tries again.
    static let retryAfter: UInt64 = 1_000_000_000  // 1 s
    /// How often a connection looks at what its path names.
    static let lookEvery: UInt64 = 1_000_000_000  // 1 s

    /// The queue of the database at `databasePath` (as SQLite opened it), owned by `owner`.
    init(databasePath: String, owner: WriterQueueFile.Owner?) {
        path = databasePath + "-writer"
        // A file this process cannot give the owner (not root, not the owner) is not asked of it.
        self.owner = owner.flatMap { geteuid() == 0 || $0.user == geteuid() ? $0 : nil }
        _ = WriterQueueIncidents.startedAt
        _ = current()
    }

    /// The turnstile for the next write transaction, once the file is looked at (its path too
    /// when `looking`, or once ``lookEvery``); nil to write unqueued.
    func current(looking: Bool = false) -> WriterTurnstile? {
        let now = BusyWait.monotonicNanoseconds()
        if let attached = turnstile {
            if let reason = attached.brokenBecause {
                turnstile = nil
                return names(attached) ? replace(because: reason, retiring: attached) : attach()
            }
            if attached.isRetired {
                turnstile = nil
                return attach()
            }
            guard looking || now &- lookedAt >= Self.lookEvery else { return attached }
            lookedAt = now
            switch look(at: attached) {
            case nil: return attached
            case .moved?:
                turnstile = nil
                return attach()
            case .unsuitable(let reason)?:
                turnstile = nil
                return replace(because: reason, retiring: nil)  // never written through again
            case .truncated(let reason)?:
                turnstile = nil
                return replace(because: reason, retiring: attached)
            }
        } else if now < retryAt {
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
    /// A writer that went by a turn kept by one that does not write puts a new queue file in
    /// place of that one.
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
            case .bypassed(let again, let reason):
                if self.turnstile === turnstile, names(turnstile) {
                    self.turnstile = nil
                    _ = replace(because: reason, retiring: turnstile)
                }
                return .unqueued(begun: true, recheck: recheck || again, because: reason)
            case .moved(let again): recheck = recheck || again  // `current()` finds out where to
            }
        }
        return .unqueued(begun: false, recheck: recheck, because: "the queue file kept changing")
    }

    /// Looks at the queue file and its path now, as a long-running process does between writes.
    func check() { _ = current(looking: true) }

    /// Why the file serving now replaced the one before it.
    var note: WriterQueueNote? { turnstile?.note }

    private enum Trouble {
        /// The path names another file now, or none: attach afresh.
        case moved
        /// The path names a file that is not one to write through (``WriterQueueFile/unsuitable(_:owner:)``).
        case unsuitable(String)
        /// The file is shorter than a queue.
        case truncated(String)
    }

    /// What the path shows is wrong with `attached`, if anything.
    private func look(at attached: WriterTurnstile) -> Trouble? {
        var named = stat()
        guard lstat(path, &named) == 0, UInt64(named.st_dev) == attached.device, UInt64(named.st_ino) == attached.inode
        else { return .moved }
        if let problem = WriterQueueFile.unsuitable(named, owner: owner) { return .unsuitable(problem.reason) }
        if named.st_size < WriterQueueLayout.size {
            return .truncated(
                "it is \(named.st_size) bytes, not \(WriterQueueLayout.size): it was truncated while in use")
        }
        return nil
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
        lookedAt = BusyWait.monotonicNanoseconds()
        WriterQueueIncidents.queued(path)
        if let note = attached.note { WriterQueueIncidents.noted(path, note) }
        return attached
    }

    private func unqueued(because reason: String) -> WriterTurnstile? {
        unqueuedBecause = reason
        retryAt = BusyWait.monotonicNanoseconds() + Self.retryAfter
        WriterQueueIncidents.unqueued(path, because: reason)
        return nil
    }
}

/// What a writer meets in a database's writers' queue (``Database/writersQueueStatus(within:)``).
public struct WritersQueueStatus: Sendable, Equatable {
    /// Where a writer that did not get through waited.
    public enum Stuck: Sendable, Equatable {
        /// For its turn: the writer whose turn it is keeps it and SQLite's lock.
        case turn
        /// For SQLite's write lock, its turn had: a process writes without the queue and keeps it.
        case writeLock
    }

    /// A writer got through in the time given: its turn (or none to wait for) and SQLite's lock.
    public let answers: Bool
    /// Where it waited when it did not.
    public let stuck: Stuck?
    /// Why writers go without the queue, when they do.
    public let unqueued: String?
    /// Why the queue file that serves replaced the one before it.
    public let note: WriterQueueNote?

    public init(answers: Bool, stuck: Stuck? = nil, unqueued: String? = nil, note: WriterQueueNote? = nil) {
        self.answers = answers
        self.stuck = stuck
        self.unqueued = unqueued
        self.note = note
    }
}
