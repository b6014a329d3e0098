#if canImport(Glibc)
    import Glibc
#endif

/// Where each shared word of the writer queue lives in `<database>-writer`, as every process that
/// maps the file reads it: the one definition of its bytes (``WriterTurnstile`` and its reset use
/// it; a test holds the regions apart).
struct WriterQueueLayout {
    /// "VENUEWR1" (UInt64) once the turn's mutex is set up.
    static let turnMagicOffset = 0
    /// "VENUECK1" (UInt64) once the checkpoint's mutex is set up.
    static let checkpointMagicOffset = 8
    /// A random number (UInt64) drawn each time the queue is started afresh: bytes put back from
    /// a copy of another start of the queue do not have the one a connection attached to.
    static let generationOffset = 16
    /// Non-zero (UInt32) once this file was replaced by a new queue file: its writers move there.
    static let retiredOffset = 24
    /// The turn's robust, process-shared mutex.
    static let turnMutexOffset = 64
    /// The checkpoint's robust, process-shared mutex.
    static let checkpointMutexOffset = 128
    /// The next ticket to hand out (UInt32), then the ticket whose turn it is (UInt32).
    static let nextTicketOffset = 256
    static let servingOffset = 260
    /// A bell (UInt32) per ticket modulo ``bellCount``.
    static let bellsOffset = 512
    /// A holder record (UInt64) per ticket modulo ``bellCount``.
    static let holdersOffset = 1536
    static let bellCount: UInt32 = 256
    /// What last happened to the queue (``WriterQueueNote``): a sequence number (UInt32) bumped
    /// after each note, the time (UInt64, Unix milliseconds), then the text, NUL-terminated.
    static let noteOffset = 3584
    static let noteTimeOffset = noteOffset + 8
    static let noteTextOffset = noteOffset + 16
    static let noteTextSize = slotsOffset - noteTextOffset
    /// The mailbox: ``slotCount`` slots of ``slotSize`` bytes (``OfferedWrite``), after the header.
    static let slotsOffset = 4096
    static let slotCount: UInt32 = 64
    static let slotSize = 8192
    /// The file's size.
    static let size = slotsOffset + Int(slotCount) * slotSize

    static let turnMagic: UInt64 = 0x5645_4E55_4557_5231  // "VENUEWR1"
    static let checkpointMagic: UInt64 = 0x5645_4E55_4543_4B31  // "VENUECK1"

    /// The mapped file.
    let base: UnsafeMutableRawPointer

    var turnMagic: UnsafeMutablePointer<UInt64> { word(Self.turnMagicOffset) }
    var checkpointMagic: UnsafeMutablePointer<UInt64> { word(Self.checkpointMagicOffset) }
    var generation: UnsafeMutablePointer<UInt64> { word(Self.generationOffset) }
    var retired: UnsafeMutablePointer<UInt32> { word(Self.retiredOffset) }
    var noteSequence: UnsafeMutablePointer<UInt32> { word(Self.noteOffset) }
    var noteTime: UnsafeMutablePointer<UInt64> { word(Self.noteTimeOffset) }
    var noteText: UnsafeMutableRawPointer { base + Self.noteTextOffset }
    var turnMutex: UnsafeMutablePointer<pthread_mutex_t> { word(Self.turnMutexOffset) }
    var checkpointMutex: UnsafeMutablePointer<pthread_mutex_t> { word(Self.checkpointMutexOffset) }
    var nextTicket: UnsafeMutablePointer<UInt32> { word(Self.nextTicketOffset) }
    var serving: UnsafeMutablePointer<UInt32> { word(Self.servingOffset) }
    var bells: UnsafeMutablePointer<UInt32> { word(Self.bellsOffset, count: Int(Self.bellCount)) }
    var holders: UnsafeMutablePointer<UInt64> { word(Self.holdersOffset, count: Int(Self.bellCount)) }
    var slots: UnsafeMutableRawPointer { base + Self.slotsOffset }

    /// The first word of slot `index`: its state and ticket, which a reset clears.
    func slotHeader(_ index: Int) -> UnsafeMutablePointer<UInt64> { word(Self.slotsOffset + index * Self.slotSize) }

    private func word<T>(_ offset: Int, count: Int = 1) -> UnsafeMutablePointer<T> {
        (base + offset).bindMemory(to: T.self, capacity: count)
    }

    /// The regions in file order, each `(name, start, end)`: none overlaps the next.
    static var regions: [(name: String, start: Int, end: Int)] {
        [
            ("turn magic", turnMagicOffset, turnMagicOffset + 8),
            ("checkpoint magic", checkpointMagicOffset, checkpointMagicOffset + 8),
            ("generation", generationOffset, generationOffset + 8),
            ("retired", retiredOffset, retiredOffset + 4),
            ("turn mutex", turnMutexOffset, turnMutexOffset + MemoryLayout<pthread_mutex_t>.size),
            ("checkpoint mutex", checkpointMutexOffset, checkpointMutexOffset + MemoryLayout<pthread_mutex_t>.size),
            ("next ticket", nextTicketOffset, nextTicketOffset + 4),
            ("serving", servingOffset, servingOffset + 4),
            ("bells", bellsOffset, bellsOffset + Int(bellCount) * 4),
            ("holders", holdersOffset, holdersOffset + Int(bellCount) * 8),
            ("note sequence", noteOffset, noteOffset + 4),
            ("note time", noteTimeOffset, noteTimeOffset + 8),
            ("note text", noteTextOffset, noteTextOffset + noteTextSize),
            ("slots", slotsOffset, size),
        ]
    }
}
