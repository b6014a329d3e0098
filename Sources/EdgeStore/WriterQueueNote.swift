import CLinux

#if canImport(Glibc)
    import Glibc
#endif

/// What last happened to a writers' queue that its connections could not have expected: kept in
/// the queue file's header (``WriterQueueLayout``), so that every process using the queue sees
/// it, whichever process did it: the daemon logs it, `health` shows it.
public struct WriterQueueNote: Equatable, Sendable {
    public enum Kind: String, Sendable {
        /// A new queue file took the place of one that could not serve (written over, shrunk,
        /// hard-linked, someone else's, locked by another program).
        case replaced
        /// The turn's mutex, locked by a thread that could not be holding it, was handed on.
        case handedOn = "handed_on"
        /// The turn stayed kept by a thread that was not writing: writers went by unqueued.
        case bypassed
    }

    public let kind: Kind
    public let reason: String
    /// When, in Unix milliseconds.
    public let milliseconds: Int64

    init(kind: Kind, reason: String, milliseconds: Int64 = WriterQueueNote.now()) {
        self.kind = kind
        self.reason = reason
        self.milliseconds = milliseconds
    }

    /// The note stored as `text` ("KIND reason"); nil when it is not one.
    init?(stored text: String, milliseconds: Int64) {
        guard let space = text.firstIndex(of: " "), let kind = Kind(rawValue: String(text[..<space])) else {
            return nil
        }
        self.init(kind: kind, reason: String(text[text.index(after: space)...]), milliseconds: milliseconds)
    }

    /// Writes the note's time and text (cut to fit) into the header of `layout`.
    func store(in layout: WriterQueueLayout) {
        clinux_atomic_store64(layout.noteTime, UInt64(bitPattern: milliseconds))
        var bytes = Array("\(kind.rawValue) \(reason)".utf8.prefix(WriterQueueLayout.noteTextSize - 1))
        bytes.append(0)
        bytes.withUnsafeBytes { layout.noteText.copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
    }

    /// The wall clock in Unix milliseconds, for people reading the note.
    static func now() -> Int64 {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        return Int64(now.tv_sec) * 1000 + Int64(now.tv_nsec) / 1_000_000
    }
}
