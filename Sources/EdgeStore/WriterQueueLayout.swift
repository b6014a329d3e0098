#if canImport(Glibc)
    import Glibc
#endif

/// Where each shared word of the writer queue lives in `<database>-writer`, as every process that
/// maps the file reads it, and which of its bytes are locked: the one definition of its bytes
/// (``WriterTurnstile`` and ``WriterQueueFile`` use it; a test holds the regions apart).
///
/// The locks are open file description locks (`F_OFD_SETLK`) on single bytes, held by the kernel
/// for an open file, never written in the file: a read lock on ``inUseByte`` while a connection
/// uses the queue, a write lock on ``turnByte`` while a writer has its turn and on
/// ``checkpointByte`` while a connection checkpoints.
struct WriterQueueLayout {
    /// "VENUEWQ2" (UInt64) once the queue is set up: bytes without it are not a queue's.
    static let magicOffset = 0
    /// A random number (UInt64) drawn each time the queue is started afresh: bytes put back from
    /// a copy of another start do not have the one a connection attached to.
    static let generationOffset = 8
    /// Non-zero (UInt32) once a new file took this one's name: its writers move there.
    static let retiredOffset = 16
    /// The next ticket to hand out (UInt32), then the ticket whose turn it is (UInt32).
    static let nextTicketOffset = 256
    static let servingOffset = 260
    /// A bell (UInt32) per ticket modulo ``bellCount``.
    static let bellsOffset = 512
    /// A holder record (UInt64) per ticket modulo ``bellCount``.
    static let holdersOffset = 1536
    static let bellCount: UInt32 = 256
    /// Why this file replaced the one that had its name before (``WriterQueueNote``): "VENUENT1"
    /// (UInt64) when there is a note, its time (Int64, Unix milliseconds), the length of its text
    /// (UInt32), then the text.
    static let noteMagicOffset = 3584
    static let noteTimeOffset = noteMagicOffset + 8
    static let noteLengthOffset = noteMagicOffset + 16
    static let noteTextOffset = noteMagicOffset + 20
    static let noteTextSize = slotsOffset - noteTextOffset
    /// The mailbox: ``slotCount`` slots of ``slotSize`` bytes (``OfferedWrite``), after the header.
    static let slotsOffset = 4096
    static let slotCount: UInt32 = 64
    static let slotSize = 8192
    /// The file's size.
    static let size = slotsOffset + Int(slotCount) * slotSize

    /// Read-locked by every connection that uses the queue; write-locked by the one that starts
    /// it afresh, which it may only when no other uses it.
    static let inUseByte: Int64 = 0
    /// Write-locked by the writer whose turn it is, from before `BEGIN IMMEDIATE` to after
    /// `COMMIT` or `ROLLBACK`.
    static let turnByte: Int64 = 64
    /// Write-locked by the connection that checkpoints, through both steps of its checkpoint.
    static let checkpointByte: Int64 = 128

    static let magic: UInt64 = 0x5645_4E55_4557_5132  // "VENUEWQ2"
    static let noteMagic: UInt64 = 0x5645_4E55_454E_5431  // "VENUENT1"

    /// The mapped file.
    let base: UnsafeMutableRawPointer

    var magic: UnsafeMutablePointer<UInt64> { word(Self.magicOffset) }
    var generation: UnsafeMutablePointer<UInt64> { word(Self.generationOffset) }
    var retired: UnsafeMutablePointer<UInt32> { word(Self.retiredOffset) }
    var nextTicket: UnsafeMutablePointer<UInt32> { word(Self.nextTicketOffset) }
    var serving: UnsafeMutablePointer<UInt32> { word(Self.servingOffset) }
    var bells: UnsafeMutablePointer<UInt32> { word(Self.bellsOffset, count: Int(Self.bellCount)) }
    var holders: UnsafeMutablePointer<UInt64> { word(Self.holdersOffset, count: Int(Self.bellCount)) }
    var noteMagic: UnsafeMutablePointer<UInt64> { word(Self.noteMagicOffset) }
    var noteTime: UnsafeMutablePointer<Int64> { word(Self.noteTimeOffset) }
    var noteLength: UnsafeMutablePointer<UInt32> { word(Self.noteLengthOffset) }
    var noteText: UnsafeMutableRawPointer { base + Self.noteTextOffset }
    var slots: UnsafeMutableRawPointer { base + Self.slotsOffset }

    /// The first word of slot `index`: its state and ticket, which a reset clears.
    func slotHeader(_ index: Int) -> UnsafeMutablePointer<UInt64> { word(Self.slotsOffset + index * Self.slotSize) }

    private func word<T>(_ offset: Int, count: Int = 1) -> UnsafeMutablePointer<T> {
        (base + offset).bindMemory(to: T.self, capacity: count)
    }

    /// The regions in file order, each `(name, start, end)`: none overlaps the next.
    static var regions: [(name: String, start: Int, end: Int)] {
        [
            ("magic", magicOffset, magicOffset + 8),
            ("generation", generationOffset, generationOffset + 8),
            ("retired", retiredOffset, retiredOffset + 4),
            ("next ticket", nextTicketOffset, nextTicketOffset + 4),
            ("serving", servingOffset, servingOffset + 4),
            ("bells", bellsOffset, bellsOffset + Int(bellCount) * 4),
            ("holders", holdersOffset, holdersOffset + Int(bellCount) * 8),
            ("note magic", noteMagicOffset, noteMagicOffset + 8),
            ("note time", noteTimeOffset, noteTimeOffset + 8),
            ("note length", noteLengthOffset, noteLengthOffset + 4),
            ("note text", noteTextOffset, noteTextOffset + noteTextSize),
            ("slots", slotsOffset, size),
        ]
    }
}
