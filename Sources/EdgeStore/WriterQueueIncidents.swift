import Synchronization

/// What befell the writers' queue files this process's connections use, for a long-running
/// process to log once each (`venue-syncd` drains it as it loops).
public enum WriterQueueIncidents {
    /// One thing that happened to a queue file.
    public struct Incident: Sendable, Equatable {
        /// What happened.
        public enum Event: String, Sendable {
            /// A new queue file took the place of one that could not serve (by this process or
            /// another: its note says why).
            case replaced
            /// No queue file could serve this process's writers: they write under SQLite's lock alone.
            case unqueued
            /// A queue file serves them again.
            case queued
        }

        /// The queue file.
        public let file: String
        public let event: Event
        public let reason: String
        /// When, in Unix milliseconds (for a replacement, when its note was written).
        public let milliseconds: Int64
    }

    private struct State {
        var pending: [Incident] = []
        /// Notes already reported, by file, time and text.
        var seen: Set<String> = []
        /// The files that serve none of this process's writers now.
        var unqueued: Set<String> = []

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

    /// When this process started using queues (Unix milliseconds): notes older than that are
    /// news from before it ran.
    static let startedAt = WriterQueueNote.now()

    /// The note of a queue file a connection attached to: a replacement, reported once.
    static func noted(_ file: String, _ note: WriterQueueNote) {
        guard note.milliseconds >= startedAt - 1000 else { return }
        state.withLock { state in
            if state.seen.count > 1000 { state.seen.removeAll() }
            guard state.seen.insert("\(file)|\(note.milliseconds)|\(note.reason)").inserted else { return }
            state.add(Incident(file: file, event: .replaced, reason: note.reason, milliseconds: note.milliseconds))
        }
    }

    static func unqueued(_ file: String, because reason: String) {
        state.withLock { state in
            guard state.unqueued.insert(file).inserted else { return }
            state.add(Incident(file: file, event: .unqueued, reason: reason, milliseconds: WriterQueueNote.now()))
        }
    }

    static func queued(_ file: String) {
        state.withLock { state in
            guard state.unqueued.remove(file) != nil else { return }
            state.add(
                Incident(
                    file: file, event: .queued, reason: "a queue file serves the writers again",
                    milliseconds: WriterQueueNote.now()))
        }
    }
}
