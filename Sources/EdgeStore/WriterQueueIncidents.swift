import Synchronization

/// What befell the writers' queue files this process's connections use, for a long-running
/// process to log (`venue-syncd` drains it as it loops) and to judge its liveness by.
public enum WriterQueueIncidents {
    /// One thing that happened to a queue file.
    public struct Incident: Sendable, Equatable {
        /// The queue file.
        public let file: String
        /// `replaced`, `handed_on`, `bypassed` (noted in the file, by this process or another),
        /// `unqueued` (no queue file could serve this process's writers), `queued` (one does again).
        public let event: String
        public let reason: String
        /// When, in Unix milliseconds (for a note, when it was written).
        public let milliseconds: Int64
    }

    private struct State {
        var pending: [Incident] = []
        /// Notes already reported, by file, time and text.
        var seen: Set<String> = []
        /// Since when (monotonic nanoseconds) each file has served none of this process's
        /// writers, and why.
        var unqueued: [String: (since: UInt64, reason: String)] = [:]

        mutating func add(_ incident: Incident) {
            if pending.count >= 100 { pending.removeFirst() }  // nobody drains a short-lived process's
            pending.append(incident)
        }
    }

    private static let state = Mutex(State())

    /// What happened since the last call, oldest first.
    public static func drain() -> [Incident] {
        state.withLock { state in
            defer { state.pending.removeAll() }
            return state.pending
        }
    }

    /// The queue file that has served none of this process's writers longest (they write
    /// unqueued, and no new file could be put in its place), since when (monotonic nanoseconds)
    /// and why; nil while every queue this process uses serves.
    public static var unqueued: (file: String, since: UInt64, reason: String)? {
        state.withLock { state in
            state.unqueued.min { $0.value.since < $1.value.since }.map { ($0.key, $0.value.since, $0.value.reason) }
        }
    }

    /// When this process started using queues (Unix milliseconds): notes older than that are
    /// another process's news.
    static let startedAt = WriterQueueNote.now()

    static func noted(_ file: String, _ note: WriterQueueNote) {
        guard note.milliseconds >= startedAt - 1000 else { return }
        state.withLock { state in
            if state.seen.count > 1000 { state.seen.removeAll() }
            guard state.seen.insert("\(file)|\(note.milliseconds)|\(note.kind.rawValue)|\(note.reason)").inserted
            else { return }
            state.add(Incident(file: file, event: note.kind.rawValue, reason: note.reason, milliseconds: note.milliseconds))
        }
    }

    static func unqueued(_ file: String, because reason: String) {
        state.withLock { state in
            guard state.unqueued[file] == nil else { return }
            state.unqueued[file] = (BusyWait.monotonicNanoseconds(), reason)
            state.add(Incident(file: file, event: "unqueued", reason: reason, milliseconds: WriterQueueNote.now()))
        }
    }

    static func queued(_ file: String) {
        state.withLock { state in
            guard state.unqueued.removeValue(forKey: file) != nil else { return }
            state.add(
                Incident(
                    file: file, event: "queued", reason: "a queue file serves the writers again",
                    milliseconds: WriterQueueNote.now()))
        }
    }
}
