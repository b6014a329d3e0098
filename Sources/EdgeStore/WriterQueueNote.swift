#if canImport(Glibc)
    import Glibc
#endif

/// Why a writers' queue file replaced the one that had its name before, kept in its header
/// (``WriterQueueLayout``) by the process that made it, so that every process that uses the queue
/// afterwards sees it: the daemon logs it, `health` shows it.
public struct WriterQueueNote: Equatable, Sendable {
    public let reason: String
    /// When, in Unix milliseconds.
    public let milliseconds: Int64

    init(reason: String, milliseconds: Int64 = WriterQueueNote.now()) {
        self.reason = reason
        self.milliseconds = milliseconds
    }

    /// The note in the header of `layout`; nil when it has none.
    init?(in layout: WriterQueueLayout) {
        guard layout.noteMagic.pointee == WriterQueueLayout.noteMagic else { return nil }
        let length = min(Int(layout.noteLength.pointee), WriterQueueLayout.noteTextSize)
        let bytes = UnsafeRawBufferPointer(start: layout.noteText, count: length)
        self.init(reason: String(decoding: bytes, as: UTF8.self), milliseconds: layout.noteTime.pointee)
    }

    /// Writes the note (its text cut to fit) into the header of `layout`, which no other
    /// connection uses yet.
    func store(in layout: WriterQueueLayout) {
        let bytes = Array(reason.utf8.prefix(WriterQueueLayout.noteTextSize))
        bytes.withUnsafeBytes { buffer in
            if let start = buffer.baseAddress { layout.noteText.copyMemory(from: start, byteCount: buffer.count) }
        }
        layout.noteLength.pointee = UInt32(bytes.count)
        layout.noteTime.pointee = milliseconds
        layout.noteMagic.pointee = WriterQueueLayout.noteMagic
    }

    /// The wall clock in Unix milliseconds, for people reading the note.
    static func now() -> Int64 {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        return Int64(now.tv_sec) * 1000 + Int64(now.tv_nsec) / 1_000_000
    }
}
