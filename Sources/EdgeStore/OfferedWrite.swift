import CLinux
import CSQLite

#if canImport(Glibc)
    import Glibc
#endif

/// A write a queued writer offers, in its ticket's slot of the turnstile's mailbox, to the writer
/// whose turn it is: that writer runs it in its own transaction, commits it with its own, and
/// answers once the commit is flushed. Sixteen terminals selling at once then commit a few
/// sales a turn, on one connection whose pages stay cached, instead of each emptying and
/// re-reading SQLite's cache in a turn of its own.
///
/// A slot: its state (bytes 0–3), the ticket that offered through it (4–7), the length of the
/// request or answer (8–11), the thread that took it (12–15), the bytes from 32. Its life:
/// empty → writing → offered → taken → answered (or handed back) → empty; the offering writer
/// may withdraw it while it is still offered, and takes its write back, not committed, when the
/// thread that took it died (having committed it or not: the offering writer checks).
struct OfferedWrite {
    let ticket: UInt32
    private let base: UnsafeMutableRawPointer

    static let empty: UInt32 = 0
    static let writing: UInt32 = 1
    static let offered: UInt32 = 2
    static let taken: UInt32 = 3
    static let answered: UInt32 = 4
    static let answeredUnflushed: UInt32 = 5
    static let handedBack: UInt32 = 6
    private static let headerSize = 32
    /// The most bytes a request or an answer may have.
    static let capacity = WriterTurnstile.slotSize - headerSize

    /// Ticket `ticket`'s slot in `turnstile`'s mailbox.
    init(ticket: UInt32, in turnstile: WriterTurnstile) {
        self.ticket = ticket
        base = turnstile.slots + Int(ticket % WriterTurnstile.slotCount) * WriterTurnstile.slotSize
    }

    private func word(_ offset: Int) -> UnsafeMutablePointer<UInt32> {
        (base + offset).assumingMemoryBound(to: UInt32.self)
    }

    /// The slot's state, if ticket `ticket` is still the one using it; nil when another is.
    var state: UInt32? {
        let state = clinux_atomic_load(word(0))
        return clinux_atomic_load(word(4)) == ticket ? state : nil
    }

    /// Offers `request` for ticket `ticket`; nil when it is too long or the slot is in use.
    /// A slot left by a writer that died, or whose ticket went by long ago, is taken over.
    static func post(_ request: [UInt8], ticket: UInt32, serving: UInt32, in turnstile: WriterTurnstile)
        -> OfferedWrite?
    {
        guard request.count <= capacity else { return nil }
        let slot = OfferedWrite(ticket: ticket, in: turnstile)
        slot.clearIfStale(serving: serving)
        guard clinux_atomic_swap_if(slot.word(0), empty, writing) != 0 else { return nil }
        clinux_atomic_store(slot.word(4), ticket)
        clinux_atomic_store(slot.word(12), 0)  // no taker yet: not one of an earlier use of the slot
        slot.write(request)
        clinux_atomic_store(slot.word(0), offered)
        return slot
    }

    /// Empties a slot whose ticket went by more than a full queue ago and whose thread, if it
    /// took the write, is gone.
    private func clearIfStale(serving: UInt32) {
        let state = clinux_atomic_load(word(0))
        let owner = clinux_atomic_load(word(4))
        guard state != Self.empty, Int32(bitPattern: serving &- owner) > Int32(WriterTurnstile.bellCount) else {
            return
        }
        if state == Self.taken, !Self.isGone(clinux_atomic_load(word(12))) { return }
        _ = clinux_atomic_swap_if(word(0), state, Self.empty)
    }

    /// Takes ticket `ticket`'s offered write for the calling thread; nil when none is offered.
    static func take(ticket: UInt32, in turnstile: WriterTurnstile) -> OfferedWrite? {
        let slot = OfferedWrite(ticket: ticket, in: turnstile)
        guard clinux_atomic_load(slot.word(4)) == ticket,
            clinux_atomic_swap_if(slot.word(0), offered, taken) != 0
        else { return nil }
        guard clinux_atomic_load(slot.word(4)) == ticket else {  // another ticket's, posted meanwhile
            clinux_atomic_store(slot.word(0), offered)
            return nil
        }
        clinux_atomic_store(slot.word(12), clinux_thread_id())
        return slot
    }

    /// The offered request (read by the writer that took it).
    var request: [UInt8] { read() }

    /// Answers the write taken (`flushed`: its commit reached the disk).
    func answer(_ bytes: [UInt8], flushed: Bool) {
        write(bytes)
        clinux_atomic_store(word(0), flushed ? Self.answered : Self.answeredUnflushed)
    }

    /// Hands the write taken back to its writer, not committed.
    func handBack() { clinux_atomic_store(word(0), Self.handedBack) }

    /// Takes the write back while it is still only offered; false once another writer took it.
    func withdraw() -> Bool { clinux_atomic_swap_if(word(0), Self.offered, Self.empty) != 0 }

    /// Takes the write back when the thread that took it is gone; true when it did.
    func reclaimIfRunnerDied() -> Bool {
        Self.isGone(clinux_atomic_load(word(12))) && clinux_atomic_swap_if(word(0), Self.taken, Self.empty) != 0
    }

    /// The answer, the slot emptied for the next ticket.
    func collect() -> WriterTurnstile.Entry {
        let bytes = read()
        let flushed = clinux_atomic_load(word(0)) == Self.answered
        clear()
        return flushed ? .answered(bytes) : .answeredUnflushed(bytes)
    }

    /// Empties the slot.
    func clear() { clinux_atomic_store(word(0), Self.empty) }

    private func write(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { buffer in
            if let start = buffer.baseAddress {
                (base + Self.headerSize).copyMemory(from: start, byteCount: buffer.count)
            }
        }
        clinux_atomic_store(word(8), UInt32(bytes.count))
    }

    private func read() -> [UInt8] {
        let length = min(Int(clinux_atomic_load(word(8))), Self.capacity)
        return Array(UnsafeRawBufferPointer(start: base + Self.headerSize, count: length))
    }

    private static func isGone(_ thread: UInt32) -> Bool {
        thread != 0 && kill(pid_t(bitPattern: thread), 0) != 0 && errno == ESRCH
    }
}
