import SyncWire

/// Length-prefixed fields for ``OfferedSale``.
struct ByteWriter {
    private(set) var bytes = [UInt8]()

    mutating func byte(_ value: UInt8) { bytes.append(value) }

    /// A 64-bit integer, or none.
    mutating func integer(_ value: Int64?) {
        guard let value else { return byte(0) }
        byte(1)
        withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
    }

    /// An amount and its currency, or none.
    mutating func money(_ value: Money?) {
        integer(value?.minor)
        if let value { text(value.currency) }
    }

    /// Text as its UTF-8 length and bytes, or none.
    mutating func text(_ value: String?) {
        guard let value else { return byte(0) }
        byte(1)
        integer(Int64(value.utf8.count))
        bytes.append(contentsOf: value.utf8)
    }
}

/// Reads what ``ByteWriter`` wrote; throws ``Malformed`` past the end or on a bad field.
struct ByteReader {
    struct Malformed: Error {}
    private let bytes: [UInt8]
    private var position = 0

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    var isAtEnd: Bool { position == bytes.count }

    mutating func byte() throws -> UInt8 {
        guard position < bytes.count else { throw Malformed() }
        defer { position += 1 }
        return bytes[position]
    }

    mutating func integer() throws -> Int64? {
        guard try byte() == 1 else { return nil }
        guard bytes.count - position >= 8 else { throw Malformed() }
        var value: Int64 = 0
        for index in 0..<8 { value |= Int64(bytes[position + index]) << (8 * index) }
        position += 8
        return value
    }

    mutating func requiredInteger() throws -> Int64 {
        guard let value = try integer() else { throw Malformed() }
        return value
    }

    mutating func text() throws -> String? {
        guard try byte() == 1 else { return nil }
        let length = try requiredInteger()
        guard length >= 0, Int64(bytes.count - position) >= length else { throw Malformed() }
        defer { position += Int(length) }
        return String(decoding: bytes[position..<position + Int(length)], as: UTF8.self)
    }

    mutating func money() throws -> Money? {
        guard let minor = try integer() else { return nil }
        return Money(minor: minor, currency: try requiredText())
    }

    mutating func requiredMoney() throws -> Money {
        guard let value = try money() else { throw Malformed() }
        return value
    }

    mutating func requiredText() throws -> String {
        guard let value = try text() else { throw Malformed() }
        return value
    }
}
