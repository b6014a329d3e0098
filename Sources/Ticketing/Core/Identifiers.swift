import EdgeCrypto
import SyncWire

/// Where every identifier and secret code of the node is made.
///
/// Records get ULIDs behind a short prefix (`ord_01JDX3K7QZ7M4Q9D2PABCDEF`): sortable by creation
/// time, unique across nodes without coordination (80 random bits per millisecond). Ticket codes
/// are 80 random bits in Crockford base32, grouped for reading aloud (`K7QX-3M9D-PA2F-W8ZR`).
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

    /// A new unguessable ticket code.
    public func ticketCode() -> String {
        let characters = Self.base32(SecureRandom.bytes(10))
        return stride(from: 0, to: 16, by: 4).map { offset in
            String(characters[characters.index(characters.startIndex, offsetBy: offset)...].prefix(4))
        }.joined(separator: "-")
    }

    /// The canonical form of a ticket code as a person may type it: upper case, dashes placed,
    /// Crockford's look-alikes mapped (O→0, I/L→1). Nil when it cannot be a ticket code.
    public static func normalizedTicketCode(_ text: String) -> String? {
        var characters = [Character]()
        for character in text.uppercased() where character != "-" && character != " " {
            let mapped: Character =
                switch character {
                case "O": "0"
                case "I", "L": "1"
                default: character
                }
            guard alphabet.contains(mapped) else { return nil }
            characters.append(mapped)
        }
        guard characters.count == 16 else { return nil }
        return stride(from: 0, to: 16, by: 4).map { String(characters[$0..<$0 + 4]) }.joined(separator: "-")
    }

    static let alphabet = Array("0123456789ABCDEFGHJKMNPQRSTVWXYZ")

    /// 48-bit time then 80 random bits, 26 Crockford base32 characters.
    static func ulid(milliseconds: Int64, random: [UInt8]) -> String {
        var time = UInt64(max(0, milliseconds))
        var timeCharacters = [Character](repeating: "0", count: 10)
        for index in stride(from: 9, through: 0, by: -1) {
            timeCharacters[index] = alphabet[Int(time & 31)]
            time >>= 5
        }
        return String(timeCharacters) + base32(random)
    }

    /// Crockford base32 of 10 bytes: 16 characters.
    static func base32(_ bytes: [UInt8]) -> String {
        var bits: UInt64 = 0
        var count = 0
        var out = ""
        for byte in bytes {
            bits = bits << 8 | UInt64(byte)
            count += 8
            while count >= 5 {
                count -= 5
                out.append(alphabet[Int((bits >> UInt64(count)) & 31)])
            }
        }
        if count > 0 { out.append(alphabet[Int((bits << UInt64(5 - count)) & 31)]) }
        return out
    }
}
