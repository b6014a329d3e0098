/// Writes compact JSON exactly as ``JSONText/encode(_:)`` writes the `Encodable` value it stands
/// for: keys sorted, slashes unescaped, absent (nil) values left out.
///
/// For payloads written on every sale, where Foundation's `JSONEncoder` machinery (boxes, key
/// conversion, dynamic casts) costs more than the rest of the encoding. The caller writes each
/// object's members in key order; tests hold each such payload byte-equal to what
/// `JSONText.encode` writes. Keys are literals, written as they are: a record's snake_case
/// names need no escaping.
public struct JSONWriter {
    private var bytes = [UInt8]()
    /// A value was written at the current level: the next one needs a comma.
    private var needsComma = false

    /// An empty writer.
    public init() { bytes.reserveCapacity(1024) }

    /// What was written, as text.
    public var text: String { String(decoding: bytes, as: UTF8.self) }

    /// Writes an object whose members `body` writes.
    public mutating func object(_ body: (inout JSONWriter) -> Void) {
        separate()
        bytes.append(UInt8(ascii: "{"))
        needsComma = false
        body(&self)
        bytes.append(UInt8(ascii: "}"))
        needsComma = true
    }

    /// Writes a string member; nil leaves it out.
    public mutating func member(_ key: StaticString, _ value: String?) {
        guard let value else { return }
        self.key(key)
        string(value)
    }

    /// Writes an integer member; nil leaves it out.
    public mutating func member(_ key: StaticString, _ value: Int64?) {
        guard let value else { return }
        self.key(key)
        bytes.append(contentsOf: String(value).utf8)
    }

    /// Writes a boolean member; nil leaves it out.
    public mutating func member(_ key: StaticString, _ value: Bool?) {
        guard let value else { return }
        self.key(key)
        bytes.append(contentsOf: (value ? "true" : "false").utf8)
    }

    /// Writes an object member whose members `body` writes.
    public mutating func member(_ key: StaticString, object body: (inout JSONWriter) -> Void) {
        self.key(key)
        needsComma = false
        object(body)
    }

    /// Writes an array member of `elements`, each written by `body`.
    public mutating func member<Elements: Sequence>(
        _ key: StaticString, array elements: Elements, _ body: (inout JSONWriter, Elements.Element) -> Void
    ) {
        self.key(key)
        bytes.append(UInt8(ascii: "["))
        needsComma = false
        for element in elements { body(&self, element) }
        bytes.append(UInt8(ascii: "]"))
        needsComma = true
    }

    private mutating func separate() {
        if needsComma { bytes.append(UInt8(ascii: ",")) }
    }

    /// A member's key: the record's own snake_case names, which need no escaping.
    private mutating func key(_ key: StaticString) {
        separate()
        bytes.append(UInt8(ascii: "\""))
        key.withUTF8Buffer { bytes.append(contentsOf: $0) }
        bytes.append(UInt8(ascii: "\""))
        bytes.append(UInt8(ascii: ":"))
        needsComma = true
    }

    /// A JSON string: quotes, backslashes and control characters escaped as `JSONEncoder` does.
    private mutating func string(_ string: String) {
        bytes.append(UInt8(ascii: "\""))
        defer { bytes.append(UInt8(ascii: "\"")) }
        var text = string
        let plain = text.withUTF8 { utf8 in
            for byte in utf8 where byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") {
                return false
            }
            bytes.append(contentsOf: utf8)
            return true
        }
        if plain { return }
        for byte in string.utf8 {
            switch byte {
            case UInt8(ascii: "\""): bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\"")])
            case UInt8(ascii: "\\"): bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\\")])
            case UInt8(ascii: "\n"): bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "n")])
            case UInt8(ascii: "\r"): bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "r")])
            case UInt8(ascii: "\t"): bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "t")])
            case 0x08: bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "b")])
            case 0x0C: bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "f")])
            case 0..<0x20:
                let hex = Array("0123456789abcdef".utf8)
                bytes.append(contentsOf: Array("\\u00".utf8))
                bytes.append(hex[Int(byte >> 4)])
                bytes.append(hex[Int(byte & 0xF)])
            default: bytes.append(byte)
            }
        }
    }
}

/// A value that writes its own JSON with ``JSONWriter``, byte for byte what ``JSONText/encode(_:)``
/// writes for it (a test holds the two equal): for answers written on every sale.
public protocol PrewrittenJSON: Encodable {
    /// The value as ``JSONText/encode(_:)`` writes it.
    var jsonText: String { get }
}

extension JSONWriter {
    /// Writes money as `{"currency": …, "minor": …}`; nil leaves it out.
    public mutating func member(_ key: StaticString, money: Money?) {
        guard let money else { return }
        member(key) { json in
            json.member("currency", money.currency)
            json.member("minor", money.minor)
        }
    }
}
