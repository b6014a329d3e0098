import EdgeCrypto
import SyncWire

/// Where every identifier and secret code of the node is made.
///
/// Records get ULIDs behind a short prefix (`ord_01JDX3K7QZ7M4Q9D2PABCDEF`): sortable by creation
/// time, unique across nodes without coordination (80 random bits per millisecond). Ticket codes
/// are 80 random bits in Crockford base32, grouped for reading aloud (`K7QX-3M9D-PA2F-W8ZR`),
/// and signed by the node that sells them (``SignedTicketCode``).
public struct Identifiers: Sendable {
    /// What an identifier names; its prefix.
    public enum Kind: String, Sendable {
        case order = "ord"
        case hold = "hold"
        case payment = "pay"
        case refund = "ref"
        case customer = "cus"
        case staff = "usr"
        case notification = "ntf"
        case drawer = "drw"
        /// The idempotency key of a sale the cashier gave none (not an id: it names a request).
        case idempotencyKey = "key"
    }

    let clock: any WallClock

    /// Identifiers stamped with `clock`'s time.
    public init(clock: any WallClock) { self.clock = clock }

    /// A new identifier of `kind`.
    public func make(_ kind: Kind) -> String {
        "\(kind.rawValue)_" + Self.ulid(milliseconds: clock.now().milliseconds, random: SecureRandom.bytes(10))
    }

    /// The 80 random bits of a new ticket: its short code (``TicketCode/shortCode(serial:)``),
    /// which its signed code carries too.
    public func ticketSerial() -> [UInt8] { SecureRandom.bytes(SignedTicketCode.serialByteCount) }

    /// The short code of a ticket as a person typed it or a scanner read its signed code:
    /// canonical (upper case, dashes placed, Crockford's look-alikes mapped). Nil when it is
    /// neither form, or a signed code whose check character does not match.
    public static func normalizedTicketCode(_ text: String) -> String? {
        switch try? TicketCode.read(text) {
        case .short(let code)?: code
        case .signed(let code)?: code.shortCode
        case nil: nil
        }
    }

    /// The same digits as ASCII bytes, for writing.
    private static let digits = Array("0123456789ABCDEFGHJKMNPQRSTVWXYZ".utf8)

    /// 48-bit time then 80 random bits, 26 Crockford base32 characters.
    static func ulid(milliseconds: Int64, random: [UInt8]) -> String {
        String(unsafeUninitializedCapacity: 10 + (random.count * 8 + 4) / 5) { out in
            var time = UInt64(max(0, milliseconds))
            for index in stride(from: 9, through: 0, by: -1) {
                out[index] = digits[Int(time & 31)]
                time >>= 5
            }
            return 10 + base32(random, into: UnsafeMutableBufferPointer(rebasing: out[10...]))
        }
    }

    /// Crockford base32 of 10 bytes: 16 characters.
    static func base32(_ bytes: [UInt8]) -> String {
        String(unsafeUninitializedCapacity: (bytes.count * 8 + 4) / 5) { base32(bytes, into: $0) }
    }

    /// Writes the base32 digits of `bytes` to `out`; returns how many.
    private static func base32(_ bytes: [UInt8], into out: UnsafeMutableBufferPointer<UInt8>) -> Int {
        var bits: UInt64 = 0
        var pending = 0
        var count = 0
        for byte in bytes {
            bits = bits << 8 | UInt64(byte)
            pending += 8
            while pending >= 5 {
                pending -= 5
                out[count] = digits[Int((bits >> UInt64(pending)) & 31)]
                count += 1
            }
        }
        if pending > 0 {
            out[count] = digits[Int((bits << UInt64(5 - pending)) & 31)]
            count += 1
        }
        return count
    }
}
