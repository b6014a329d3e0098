extension Row {
    /// The row as a `Decodable` value: each stored property is read from the column of the same
    /// name, compared without case and underscores (`eventID` reads `event_id`), through its
    /// ``SQLValueDecodable`` conversion.
    ///
    /// Strict like ``get(_:as:)``: a property whose column is missing, or whose value does not
    /// decode (text into an integer, NULL into a non-optional, a status that is no case), throws a
    /// ``RowError`` naming the column. Properties of other types (a nested struct) are refused.
    ///
    /// ```swift
    /// struct Allocation: Decodable { let eventID: String; let quota: Int; let soldAt: Timestamp? }
    /// let allocations = try db.rows("SELECT event_id, quota, sold_at FROM allocation").map { try $0.decode(Allocation.self) }
    /// ```
    public func decode<T: Decodable>(_ type: T.Type = T.self) throws -> T {
        try T(from: RowDecoder(row: self))
    }
}

/// Decodes one ``Row`` into a `Decodable` value, column by property name.
private struct RowDecoder: Decoder {
    let row: Row
    var codingPath: [any CodingKey] { [] }
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
        KeyedDecodingContainer(ColumnContainer(row: row))
    }

    func unkeyedContainer() throws -> any UnkeyedDecodingContainer {
        throw RowError(message: "a row decodes into a struct of named properties, not a list")
    }

    func singleValueContainer() throws -> any SingleValueDecodingContainer {
        throw RowError(message: "a row decodes into a struct of named properties, not a single value")
    }
}

/// The columns of a row as a keyed container: a property's key names its column.
private struct ColumnContainer<Key: CodingKey>: KeyedDecodingContainerProtocol {
    let row: Row
    var codingPath: [any CodingKey] { [] }
    var allKeys: [Key] { row.columns.names.compactMap { Key(stringValue: $0) } }

    /// Every key is "present": a missing column is an error when read, never a silent nil.
    func contains(_ key: Key) -> Bool { true }

    private func value(_ key: Key) throws -> (index: Int, value: SQLValue) {
        guard let index = row.columns.index(ofProperty: key.stringValue) else {
            throw RowError(
                message:
                    "no column for \(key.stringValue) in the result (columns: \(row.columns.names.joined(separator: ", ")))"
            )
        }
        return (index, row.values[index])
    }

    func decodeNil(forKey key: Key) throws -> Bool { try value(key).value == .null }

    func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T {
        guard let convertible = T.self as? any SQLValueDecodable.Type else {
            throw RowError(message: "\(key.stringValue) is a \(T.self), which no single column decodes to")
        }
        let (index, value) = try value(key)
        guard let decoded = convertible.decode(from: value) as? T else {
            throw RowError(message: "column \(row.columns.names[index]) holds \(value), not \(T.self)")
        }
        return decoded
    }

    func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type, forKey key: Key) throws
        -> KeyedDecodingContainer<NestedKey>
    {
        throw RowError(message: "\(key.stringValue): a column holds one value, not a struct")
    }

    func nestedUnkeyedContainer(forKey key: Key) throws -> any UnkeyedDecodingContainer {
        throw RowError(message: "\(key.stringValue): a column holds one value, not a list")
    }

    func superDecoder() throws -> any Decoder { RowDecoder(row: row) }

    func superDecoder(forKey key: Key) throws -> any Decoder { RowDecoder(row: row) }
}
