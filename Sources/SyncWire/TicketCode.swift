import EdgeCrypto

/// The two forms of a ticket's code (`SyncProtocol/ticket-codes.md`).
///
/// - The **short code** is the ticket's id everywhere (rows, records, receipts, look-ups): 80
///   random bits in Crockford base32, grouped by four for reading aloud: `K7QX-3M9D-PA2F-W8ZR`.
/// - The **signed code** is what the ticket's QR code carries: a version byte, the signing key's
///   id, the same 80 bits, a tag of the event, and the Ed25519 signature of the node that sold
///   it; 80 bytes written as 128 base32 digits and a check character, 129 characters. Any door
///   holding the seller's public key verifies it without a database.
public enum TicketCode {
    /// Crockford's base32 digits.
    public static let alphabet = Array("0123456789ABCDEFGHJKMNPQRSTVWXYZ".utf8)
    /// Characters in a short code, without its dashes.
    public static let shortDigitCount = 16
    /// Characters in a signed code, its check character included.
    public static let signedCharacterCount = 129

    /// What a person typed or a scanner read.
    public enum Reading: Equatable, Sendable {
        /// A short code, canonical (`K7QX-3M9D-PA2F-W8ZR`).
        case short(String)
        /// A signed code whose check character matches (its signature is not checked yet).
        case signed(SignedTicketCode)
    }

    /// Why a text is not a ticket code; the message is for the person at the door.
    public struct Unreadable: Error, Equatable, Sendable, CustomStringConvertible {
        public let message: String
        public var description: String { message }
    }

    /// Reads `text` as either form: case, spaces and dashes do not matter, and Crockford's
    /// look-alikes are mapped (O→0, I and L→1). A signed code whose check character does not
    /// match is refused as mistyped.
    public static func read(_ text: String) throws(Unreadable) -> Reading {
        var digits = [UInt8]()
        digits.reserveCapacity(signedCharacterCount)
        for byte in text.utf8 where byte != UInt8(ascii: "-") && byte != UInt8(ascii: " ") {
            guard digits.count < signedCharacterCount + 1, let value = digitValue(byte) else {
                throw Unreadable(message: "'\(text.prefix(40))' is not a ticket code" + formsHint)
            }
            digits.append(value)
        }
        switch digits.count {
        case shortDigitCount:
            return .short(grouped(digits.map { alphabet[Int($0)] }))
        case signedCharacterCount:
            guard checkDigit(Array(digits.dropLast())) == digits.last else {
                throw Unreadable(message: "the code was mistyped or damaged: its check character does not match")
            }
            guard let code = SignedTicketCode(bytes: bytes(fromDigits: Array(digits.dropLast()))) else {
                throw Unreadable(message: "the code is of a ticket format this node does not know")
            }
            return .signed(code)
        default:
            throw Unreadable(message: "'\(text.prefix(40))' is not a ticket code" + formsHint)
        }
    }

    private static let formsHint =
        " (16 characters like K7QX-3M9D-PA2F-W8ZR, or the \(signedCharacterCount) of a ticket's QR code)"

    /// The short code of 10 random bytes, grouped by four.
    public static func shortCode(serial: [UInt8]) -> String {
        precondition(serial.count == SignedTicketCode.serialByteCount)
        return grouped(digits(of: serial).map { alphabet[Int($0)] })
    }

    /// The 10 bytes a canonical short code stands for; nil when it is not one.
    public static func serial(ofShortCode code: String) -> [UInt8]? {
        guard case .short(let canonical)? = try? read(code), canonical == code else { return nil }
        let values = code.utf8.filter { $0 != UInt8(ascii: "-") }.compactMap(digitValue)
        return bytes(fromDigits: values)
    }

    /// The value of a base32 digit as a person may type it, or nil.
    static func digitValue(_ byte: UInt8) -> UInt8? {
        var character = byte
        if (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(character) { character -= 32 }
        switch character {
        case UInt8(ascii: "O"): character = UInt8(ascii: "0")
        case UInt8(ascii: "I"), UInt8(ascii: "L"): character = UInt8(ascii: "1")
        default: break
        }
        return alphabet.firstIndex(of: character).map(UInt8.init)
    }

    /// Base32 digits (values 0–31) of `bytes`, most significant bit first, the last one padded
    /// with zero bits.
    static func digits(of bytes: [UInt8]) -> [UInt8] {
        var digits = [UInt8]()
        digits.reserveCapacity((bytes.count * 8 + 4) / 5)
        var bits: UInt32 = 0
        var pending = 0
        for byte in bytes {
            bits = bits << 8 | UInt32(byte)
            pending += 8
            while pending >= 5 {
                pending -= 5
                digits.append(UInt8((bits >> UInt32(pending)) & 31))
            }
        }
        if pending > 0 { digits.append(UInt8((bits << UInt32(5 - pending)) & 31)) }
        return digits
    }

    /// The bytes whose digits are `digits` (whole bytes only; padding bits dropped).
    static func bytes(fromDigits digits: [UInt8]) -> [UInt8] {
        var bytes = [UInt8]()
        var bits: UInt32 = 0
        var pending = 0
        for digit in digits {
            bits = bits << 5 | UInt32(digit)
            pending += 5
            if pending >= 8 {
                pending -= 8
                bytes.append(UInt8((bits >> UInt32(pending)) & 0xff))
            }
        }
        return bytes
    }

    /// The Luhn mod 32 check digit of `digits`: it catches every single mistyped character and
    /// every swap of two different neighbours but `0` and `Z`.
    static func checkDigit(_ digits: [UInt8]) -> UInt8 {
        var sum = 0
        var factor = 2
        for digit in digits.reversed() {
            let addend = factor * Int(digit)
            sum += addend / 32 + addend % 32
            factor = factor == 2 ? 1 : 2
        }
        return UInt8((32 - sum % 32) % 32)
    }

    private static func grouped(_ characters: [UInt8]) -> String {
        String(unsafeUninitializedCapacity: characters.count + characters.count / 4) { out in
            var count = 0
            for (index, character) in characters.enumerated() {
                if index > 0, index % 4 == 0 {
                    out[count] = UInt8(ascii: "-")
                    count += 1
                }
                out[count] = character
                count += 1
            }
            return count
        }
    }
}

/// A signed ticket code: what a node's key vouches for, read from or written as its 129 characters.
///
/// Layout (80 bytes): version `1`; the key id (2 bytes, big-endian: the first two bytes of the
/// SHA-256 of the public key); the ticket's 10 random bytes (its short code); the event tag (the
/// first 3 bytes of the SHA-256 of `venue-ticket/event`, a zero byte and the event id); the
/// Ed25519 signature (64 bytes) of `venue-ticket/1`, a zero byte and the 16 bytes before it.
public struct SignedTicketCode: Equatable, Sendable {
    public static let version: UInt8 = 1
    public static let serialByteCount = 10
    public static let eventTagByteCount = 3
    static let headerByteCount = 1 + 2 + serialByteCount + eventTagByteCount
    static let domain = Array("venue-ticket/1".utf8) + [0]

    public let keyID: UInt16
    public let serial: [UInt8]
    public let eventTag: [UInt8]
    public let signature: [UInt8]

    /// The code `key` signs for the ticket `serial` of `eventID`.
    public init(signing serial: [UInt8], eventID: String, with key: Ed25519PrivateKey) {
        precondition(serial.count == Self.serialByteCount)
        keyID = Self.keyID(of: key.publicKey)
        self.serial = serial
        eventTag = Self.eventTag(eventID)
        signature = key.signature(for: Self.domain + Self.header(keyID: keyID, serial: serial, eventTag: eventTag))
    }

    /// The code a node signed before: its parts as stored.
    public init?(keyID: UInt16, serial: [UInt8], eventTag: [UInt8], signature: [UInt8]) {
        guard serial.count == Self.serialByteCount, eventTag.count == Self.eventTagByteCount,
            signature.count == Ed25519.signatureByteCount
        else { return nil }
        self.keyID = keyID
        self.serial = serial
        self.eventTag = eventTag
        self.signature = signature
    }

    /// The code whose 80 bytes are `bytes`; nil for another length or version.
    init?(bytes: [UInt8]) {
        guard bytes.count == Self.headerByteCount + Ed25519.signatureByteCount, bytes[0] == Self.version else {
            return nil
        }
        self.init(
            keyID: UInt16(bytes[1]) << 8 | UInt16(bytes[2]), serial: Array(bytes[3..<13]),
            eventTag: Array(bytes[13..<16]),
            signature: Array(bytes[16...]))
    }

    /// The 80 bytes.
    public var bytes: [UInt8] { Self.header(keyID: keyID, serial: serial, eventTag: eventTag) + signature }

    /// The 129 characters: 128 base32 digits and the check character.
    public var text: String {
        var digits = TicketCode.digits(of: bytes)
        digits.append(TicketCode.checkDigit(digits))
        return String(decoding: digits.map { TicketCode.alphabet[Int($0)] }, as: UTF8.self)
    }

    /// The ticket's short code.
    public var shortCode: String { TicketCode.shortCode(serial: serial) }

    /// True when `publicKey` signed this code.
    public func isSigned(by publicKey: [UInt8]) -> Bool {
        Self.keyID(of: publicKey) == keyID
            && Ed25519.isValid(
                signature, of: Self.domain + Self.header(keyID: keyID, serial: serial, eventTag: eventTag),
                publicKey: publicKey)
    }

    /// True when this code names the event `eventID` (its tag matches).
    public func names(eventID: String) -> Bool { eventTag == Self.eventTag(eventID) }

    /// The id a key is known by in codes: the first two bytes of its SHA-256.
    public static func keyID(of publicKey: [UInt8]) -> UInt16 {
        let digest = SHA256.hash(publicKey)
        return UInt16(digest[0]) << 8 | UInt16(digest[1])
    }

    /// The event's tag in codes.
    public static func eventTag(_ eventID: String) -> [UInt8] {
        Array(SHA256.hash(Array("venue-ticket/event".utf8) + [0] + Array(eventID.utf8)).prefix(eventTagByteCount))
    }

    private static func header(keyID: UInt16, serial: [UInt8], eventTag: [UInt8]) -> [UInt8] {
        [version, UInt8(keyID >> 8), UInt8(keyID & 0xff)] + serial + eventTag
    }
}

extension SignedTicketCode: Codable {
    /// Its 129 characters, as a QR code carries them.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(text)
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        guard case .signed(let code)? = try? TicketCode.read(text) else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "not a signed ticket code")
        }
        self = code
    }
}
