import SyncWire

/// Any `Codable` value as compact bytes, for the writers' mailbox (``OfferedSale``): the value's
/// fields in the order its type encodes them, without their names. A type's fields are then
/// declared once, in the type; the mailbox, the receipt and the outbox record follow it.
///
/// Each value: a `Bool` one byte; every integer eight bytes, little-endian; a `Double` or
/// `Float` its bit pattern in eight; a `String` its UTF-8 length in four bytes, then the bytes;
/// an optional one byte (0 absent, 1 present) then the value; a list its count in four bytes,
/// then its elements; a struct its fields one after another. Both sides are this build: no
/// names, versions or defaults are carried, and reading anything else throws ``Malformed``.
/// Types whose `Codable` conformance is synthesized read back as they were written; an enum
/// with associated values needs a conformance of its own (synthesized ones look keys up by name).
enum CompactCoding {
    /// Bytes that are not a value of the type asked for.
    struct Malformed: Error {}

    static func encode(_ value: some Encodable) throws -> [UInt8] {
        let writer = CompactWriter()
        try writer.write(value)
        return writer.bytes
    }

    static func decode<T: Decodable>(_ type: T.Type, from bytes: [UInt8]) throws -> T {
        let reader = CompactReader(bytes)
        let value = try reader.read(type)
        guard reader.isAtEnd else { throw Malformed() }
        return value
    }
}

/// An optional, told apart from its wrapped value when written (``CompactCoding``).
private protocol CompactOptionalWriting {
    var compactWrapped: (any Encodable)? { get }
}

extension Optional: CompactOptionalWriting where Wrapped: Encodable {
    fileprivate var compactWrapped: (any Encodable)? { self }
}

/// An optional, read as its presence byte and then, if present, its wrapped value.
private protocol CompactOptionalReading {
    static func compactRead(_ reader: CompactReader) throws -> Self
}

extension Optional: CompactOptionalReading where Wrapped: Decodable {
    fileprivate static func compactRead(_ reader: CompactReader) throws -> Self {
        try reader.presence() ? try reader.read(Wrapped.self) : nil
    }
}

// MARK: - Writing

private final class CompactWriter: Encoder {
    var bytes: [UInt8] = []
    var codingPath: [any CodingKey] { [] }
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    init() { bytes.reserveCapacity(512) }

    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
        KeyedEncodingContainer(KeyedWriter<Key>(writer: self))
    }
    func unkeyedContainer() -> any UnkeyedEncodingContainer { UnkeyedWriter(writer: self) }
    func singleValueContainer() -> any SingleValueEncodingContainer { ValueWriter(writer: self) }

    func write(_ value: some Encodable) throws {
        if let optional = value as? any CompactOptionalWriting {
            presence(optional.compactWrapped != nil)
            if let wrapped = optional.compactWrapped { try wrapped.encode(to: self) }
        } else {
            try value.encode(to: self)
        }
    }
    func presence(_ present: Bool) { bytes.append(present ? 1 : 0) }
    func word64(_ value: UInt64) { withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) } }
    func word32(_ value: UInt32) { withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) } }
    func integer(_ value: some FixedWidthInteger) { word64(UInt64(truncatingIfNeeded: Int64(value))) }
    func unsigned(_ value: some FixedWidthInteger) throws {
        guard let wide = UInt64(exactly: value) else { throw CompactCoding.Malformed() }
        word64(wide)
    }
    func string(_ value: String) {
        word32(UInt32(value.utf8.count))
        bytes.append(contentsOf: value.utf8)
    }
}

private struct ValueWriter: SingleValueEncodingContainer {
    let writer: CompactWriter
    var codingPath: [any CodingKey] { [] }
    func encodeNil() throws { writer.presence(false) }
    func encode(_ value: Bool) throws { writer.bytes.append(value ? 1 : 0) }
    func encode(_ value: String) throws { writer.string(value) }
    func encode(_ value: Double) throws { writer.word64(value.bitPattern) }
    func encode(_ value: Float) throws { writer.word64(UInt64(value.bitPattern)) }
    func encode(_ value: Int) throws { writer.integer(value) }
    func encode(_ value: Int8) throws { writer.integer(value) }
    func encode(_ value: Int16) throws { writer.integer(value) }
    func encode(_ value: Int32) throws { writer.integer(value) }
    func encode(_ value: Int64) throws { writer.integer(value) }
    func encode(_ value: UInt) throws { try writer.unsigned(value) }
    func encode(_ value: UInt8) throws { try writer.unsigned(value) }
    func encode(_ value: UInt16) throws { try writer.unsigned(value) }
    func encode(_ value: UInt32) throws { try writer.unsigned(value) }
    func encode(_ value: UInt64) throws { try writer.unsigned(value) }
    func encode(_ value: some Encodable) throws { try writer.write(value) }
}

/// A struct's fields in order; an optional field with its presence byte, absent or not.
private struct KeyedWriter<Key: CodingKey>: KeyedEncodingContainerProtocol {
    let writer: CompactWriter
    var codingPath: [any CodingKey] { [] }
    private var value: ValueWriter { ValueWriter(writer: writer) }

    mutating func encodeNil(forKey key: Key) throws { writer.presence(false) }
    mutating func encode(_ value: Bool, forKey key: Key) throws { try self.value.encode(value) }
    mutating func encode(_ value: String, forKey key: Key) throws { try self.value.encode(value) }
    mutating func encode(_ value: Double, forKey key: Key) throws { try self.value.encode(value) }
    mutating func encode(_ value: Float, forKey key: Key) throws { try self.value.encode(value) }
    mutating func encode(_ value: Int, forKey key: Key) throws { try self.value.encode(value) }
    mutating func encode(_ value: Int8, forKey key: Key) throws { try self.value.encode(value) }
    mutating func encode(_ value: Int16, forKey key: Key) throws { try self.value.encode(value) }
    mutating func encode(_ value: Int32, forKey key: Key) throws { try self.value.encode(value) }
    mutating func encode(_ value: Int64, forKey key: Key) throws { try self.value.encode(value) }
    mutating func encode(_ value: UInt, forKey key: Key) throws { try self.value.encode(value) }
    mutating func encode(_ value: UInt8, forKey key: Key) throws { try self.value.encode(value) }
    mutating func encode(_ value: UInt16, forKey key: Key) throws { try self.value.encode(value) }
    mutating func encode(_ value: UInt32, forKey key: Key) throws { try self.value.encode(value) }
    mutating func encode(_ value: UInt64, forKey key: Key) throws { try self.value.encode(value) }
    mutating func encode(_ value: some Encodable, forKey key: Key) throws { try writer.write(value) }

    // Present or not, an optional takes its byte: the reader goes by position, not by key.
    mutating func encodeIfPresent(_ value: Bool?, forKey key: Key) throws { try writer.write(value) }
    mutating func encodeIfPresent(_ value: String?, forKey key: Key) throws { try writer.write(value) }
    mutating func encodeIfPresent(_ value: Double?, forKey key: Key) throws { try writer.write(value) }
    mutating func encodeIfPresent(_ value: Float?, forKey key: Key) throws { try writer.write(value) }
    mutating func encodeIfPresent(_ value: Int?, forKey key: Key) throws { try writer.write(value) }
    mutating func encodeIfPresent(_ value: Int8?, forKey key: Key) throws { try writer.write(value) }
    mutating func encodeIfPresent(_ value: Int16?, forKey key: Key) throws { try writer.write(value) }
    mutating func encodeIfPresent(_ value: Int32?, forKey key: Key) throws { try writer.write(value) }
    mutating func encodeIfPresent(_ value: Int64?, forKey key: Key) throws { try writer.write(value) }
    mutating func encodeIfPresent(_ value: UInt?, forKey key: Key) throws { try writer.write(value) }
    mutating func encodeIfPresent(_ value: UInt8?, forKey key: Key) throws { try writer.write(value) }
    mutating func encodeIfPresent(_ value: UInt16?, forKey key: Key) throws { try writer.write(value) }
    mutating func encodeIfPresent(_ value: UInt32?, forKey key: Key) throws { try writer.write(value) }
    mutating func encodeIfPresent(_ value: UInt64?, forKey key: Key) throws { try writer.write(value) }
    mutating func encodeIfPresent<T: Encodable>(_ value: T?, forKey key: Key) throws {
        writer.presence(value != nil)
        if let value { try writer.write(value) }
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type, forKey key: Key)
        -> KeyedEncodingContainer<NestedKey>
    { writer.container(keyedBy: keyType) }
    mutating func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer {
        writer.unkeyedContainer()
    }
    mutating func superEncoder() -> any Encoder { writer }
    mutating func superEncoder(forKey key: Key) -> any Encoder { writer }
}

/// A list: its count, written when the list starts and counted up as its elements come.
private struct UnkeyedWriter: UnkeyedEncodingContainer {
    let writer: CompactWriter
    /// Where the count is, in the writer's bytes.
    private let countAt: Int
    private(set) var count = 0
    var codingPath: [any CodingKey] { [] }

    init(writer: CompactWriter) {
        self.writer = writer
        countAt = writer.bytes.count
        writer.word32(0)
    }

    /// One more element: the count in the bytes follows.
    private mutating func counted() {
        count += 1
        let (writer, at) = (writer, countAt)
        withUnsafeBytes(of: UInt32(count).littleEndian) { writer.bytes.replaceSubrange(at..<at + 4, with: $0) }
    }
    mutating func encodeNil() throws {
        counted()
        writer.presence(false)
    }
    mutating func encode(_ value: some Encodable) throws {
        counted()
        try writer.write(value)
    }
    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type)
        -> KeyedEncodingContainer<NestedKey>
    {
        counted()
        return writer.container(keyedBy: keyType)
    }
    mutating func nestedUnkeyedContainer() -> any UnkeyedEncodingContainer {
        counted()
        return writer.unkeyedContainer()
    }
    mutating func superEncoder() -> any Encoder { writer }
}

// MARK: - Reading

private final class CompactReader: Decoder {
    private let bytes: [UInt8]
    private var position = 0
    var codingPath: [any CodingKey] { [] }
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    var isAtEnd: Bool { position == bytes.count }

    func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
        KeyedDecodingContainer(KeyedReader<Key>(reader: self))
    }
    func unkeyedContainer() throws -> any UnkeyedDecodingContainer { try UnkeyedReader(reader: self) }
    func singleValueContainer() throws -> any SingleValueDecodingContainer { ValueReader(reader: self) }

    func read<T: Decodable>(_ type: T.Type) throws -> T {
        if let optional = type as? any CompactOptionalReading.Type { return try optional.compactRead(self) as! T }
        return try T(from: self)
    }
    func take(_ count: Int) throws -> ArraySlice<UInt8> {
        guard count >= 0, bytes.count - position >= count else { throw CompactCoding.Malformed() }
        defer { position += count }
        return bytes[position..<position + count]
    }
    func presence() throws -> Bool {
        switch try take(1).first! {
        case 0: false
        case 1: true
        default: throw CompactCoding.Malformed()
        }
    }
    func word64() throws -> UInt64 {
        try take(8).reversed().reduce(0) { $0 << 8 | UInt64($1) }
    }
    func word32() throws -> UInt32 {
        try take(4).reversed().reduce(0) { $0 << 8 | UInt32($1) }
    }
    func integer<T: FixedWidthInteger>(_ type: T.Type) throws -> T {
        guard let value = T(exactly: Int64(bitPattern: try word64())) else { throw CompactCoding.Malformed() }
        return value
    }
    func unsigned<T: FixedWidthInteger>(_ type: T.Type) throws -> T {
        guard let value = T(exactly: try word64()) else { throw CompactCoding.Malformed() }
        return value
    }
    func string() throws -> String {
        let utf8 = try take(Int(try word32()))
        guard let text = String(validating: utf8, as: UTF8.self) else { throw CompactCoding.Malformed() }
        return text
    }
}

private struct ValueReader: SingleValueDecodingContainer {
    let reader: CompactReader
    var codingPath: [any CodingKey] { [] }
    // Optionals are read whole by `CompactReader.read`; a value asked for nil here is present.
    func decodeNil() -> Bool { false }
    func decode(_ type: Bool.Type) throws -> Bool { try reader.presence() }
    func decode(_ type: String.Type) throws -> String { try reader.string() }
    func decode(_ type: Double.Type) throws -> Double { Double(bitPattern: try reader.word64()) }
    func decode(_ type: Float.Type) throws -> Float {
        guard let bits = UInt32(exactly: try reader.word64()) else { throw CompactCoding.Malformed() }
        return Float(bitPattern: bits)
    }
    func decode(_ type: Int.Type) throws -> Int { try reader.integer(type) }
    func decode(_ type: Int8.Type) throws -> Int8 { try reader.integer(type) }
    func decode(_ type: Int16.Type) throws -> Int16 { try reader.integer(type) }
    func decode(_ type: Int32.Type) throws -> Int32 { try reader.integer(type) }
    func decode(_ type: Int64.Type) throws -> Int64 { try reader.integer(type) }
    func decode(_ type: UInt.Type) throws -> UInt { try reader.unsigned(type) }
    func decode(_ type: UInt8.Type) throws -> UInt8 { try reader.unsigned(type) }
    func decode(_ type: UInt16.Type) throws -> UInt16 { try reader.unsigned(type) }
    func decode(_ type: UInt32.Type) throws -> UInt32 { try reader.unsigned(type) }
    func decode(_ type: UInt64.Type) throws -> UInt64 { try reader.unsigned(type) }
    func decode<T: Decodable>(_ type: T.Type) throws -> T { try reader.read(type) }
}

/// A struct's fields in the order they were written, whatever key is asked for.
private struct KeyedReader<Key: CodingKey>: KeyedDecodingContainerProtocol {
    let reader: CompactReader
    var codingPath: [any CodingKey] { [] }
    /// Not known by position: a type that looks its keys up (an enum's synthesized conformance)
    /// finds none and throws.
    var allKeys: [Key] { [] }
    private var value: ValueReader { ValueReader(reader: reader) }

    func contains(_ key: Key) -> Bool { true }
    func decodeNil(forKey key: Key) throws -> Bool { try !reader.presence() }
    func decode(_ type: Bool.Type, forKey key: Key) throws -> Bool { try value.decode(type) }
    func decode(_ type: String.Type, forKey key: Key) throws -> String { try value.decode(type) }
    func decode(_ type: Double.Type, forKey key: Key) throws -> Double { try value.decode(type) }
    func decode(_ type: Float.Type, forKey key: Key) throws -> Float { try value.decode(type) }
    func decode(_ type: Int.Type, forKey key: Key) throws -> Int { try value.decode(type) }
    func decode(_ type: Int8.Type, forKey key: Key) throws -> Int8 { try value.decode(type) }
    func decode(_ type: Int16.Type, forKey key: Key) throws -> Int16 { try value.decode(type) }
    func decode(_ type: Int32.Type, forKey key: Key) throws -> Int32 { try value.decode(type) }
    func decode(_ type: Int64.Type, forKey key: Key) throws -> Int64 { try value.decode(type) }
    func decode(_ type: UInt.Type, forKey key: Key) throws -> UInt { try value.decode(type) }
    func decode(_ type: UInt8.Type, forKey key: Key) throws -> UInt8 { try value.decode(type) }
    func decode(_ type: UInt16.Type, forKey key: Key) throws -> UInt16 { try value.decode(type) }
    func decode(_ type: UInt32.Type, forKey key: Key) throws -> UInt32 { try value.decode(type) }
    func decode(_ type: UInt64.Type, forKey key: Key) throws -> UInt64 { try value.decode(type) }
    func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T { try reader.read(type) }

    func decodeIfPresent(_ type: Bool.Type, forKey key: Key) throws -> Bool? { try reader.read(Bool?.self) }
    func decodeIfPresent(_ type: String.Type, forKey key: Key) throws -> String? { try reader.read(String?.self) }
    func decodeIfPresent(_ type: Double.Type, forKey key: Key) throws -> Double? { try reader.read(Double?.self) }
    func decodeIfPresent(_ type: Float.Type, forKey key: Key) throws -> Float? { try reader.read(Float?.self) }
    func decodeIfPresent(_ type: Int.Type, forKey key: Key) throws -> Int? { try reader.read(Int?.self) }
    func decodeIfPresent(_ type: Int8.Type, forKey key: Key) throws -> Int8? { try reader.read(Int8?.self) }
    func decodeIfPresent(_ type: Int16.Type, forKey key: Key) throws -> Int16? { try reader.read(Int16?.self) }
    func decodeIfPresent(_ type: Int32.Type, forKey key: Key) throws -> Int32? { try reader.read(Int32?.self) }
    func decodeIfPresent(_ type: Int64.Type, forKey key: Key) throws -> Int64? { try reader.read(Int64?.self) }
    func decodeIfPresent(_ type: UInt.Type, forKey key: Key) throws -> UInt? { try reader.read(UInt?.self) }
    func decodeIfPresent(_ type: UInt8.Type, forKey key: Key) throws -> UInt8? { try reader.read(UInt8?.self) }
    func decodeIfPresent(_ type: UInt16.Type, forKey key: Key) throws -> UInt16? { try reader.read(UInt16?.self) }
    func decodeIfPresent(_ type: UInt32.Type, forKey key: Key) throws -> UInt32? { try reader.read(UInt32?.self) }
    func decodeIfPresent(_ type: UInt64.Type, forKey key: Key) throws -> UInt64? { try reader.read(UInt64?.self) }
    func decodeIfPresent<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T? {
        try reader.presence() ? try reader.read(type) : nil
    }

    func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type, forKey key: Key) throws
        -> KeyedDecodingContainer<NestedKey>
    { try reader.container(keyedBy: type) }
    func nestedUnkeyedContainer(forKey key: Key) throws -> any UnkeyedDecodingContainer {
        try reader.unkeyedContainer()
    }
    func superDecoder() throws -> any Decoder { reader }
    func superDecoder(forKey key: Key) throws -> any Decoder { reader }
}

private struct UnkeyedReader: UnkeyedDecodingContainer {
    let reader: CompactReader
    let count: Int?
    private(set) var currentIndex = 0
    var codingPath: [any CodingKey] { [] }
    var isAtEnd: Bool { currentIndex == count }

    init(reader: CompactReader) throws {
        self.reader = reader
        count = Int(try reader.word32())
    }

    /// One more element, if the list has one.
    private mutating func advance() throws {
        guard !isAtEnd else { throw CompactCoding.Malformed() }
        currentIndex += 1
    }
    mutating func decodeNil() throws -> Bool { false }
    mutating func decode<T: Decodable>(_ type: T.Type) throws -> T {
        try advance()
        return try reader.read(type)
    }
    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type) throws
        -> KeyedDecodingContainer<NestedKey>
    {
        try advance()
        return try reader.container(keyedBy: type)
    }
    mutating func nestedUnkeyedContainer() throws -> any UnkeyedDecodingContainer {
        try advance()
        return try reader.unkeyedContainer()
    }
    mutating func superDecoder() throws -> any Decoder { reader }
}
