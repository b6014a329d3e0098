/// A value as SQL databases exchange it: SQLite's five storage classes, which MySQL values map onto.
public enum SQLValue: Equatable, Hashable, Sendable {
    case null
    case integer(Int64)
    case real(Double)
    case text(String)
    case blob([UInt8])
}

/// A Swift type that converts to and from an ``SQLValue``: what statements bind and rows decode.
///
/// ```swift
/// try db.execute("UPDATE allocation SET sold = sold + ? WHERE event_id = ?", [2, "GALA"])
/// let sold: Int = try row.get("sold")
/// ```
public protocol SQLValueConvertible: SQLValueDecodable {
    /// The value to bind.
    var sqlValue: SQLValue { get }
}

/// A Swift type a stored value decodes to, whether or not it binds back the same way (a
/// ``SQLValueConvertible`` does both).
public protocol SQLValueDecodable {
    /// The Swift value for a stored value, or nil when the storage class does not fit.
    static func decode(from value: SQLValue) -> Self?
}

extension Int64: SQLValueConvertible {
    public var sqlValue: SQLValue { .integer(self) }
    @inlinable public static func decode(from value: SQLValue) -> Int64? {
        if case .integer(let number) = value { return number }
        return nil
    }
}

extension Int: SQLValueConvertible {
    public var sqlValue: SQLValue { .integer(Int64(self)) }
    @inlinable public static func decode(from value: SQLValue) -> Int? {
        if case .integer(let number) = value { return Int(exactly: number) }
        return nil
    }
}

extension Bool: SQLValueConvertible {
    public var sqlValue: SQLValue { .integer(self ? 1 : 0) }
    @inlinable public static func decode(from value: SQLValue) -> Bool? {
        if case .integer(let number) = value { return number != 0 }
        return nil
    }
}

extension Double: SQLValueConvertible {
    public var sqlValue: SQLValue { .real(self) }
    @inlinable public static func decode(from value: SQLValue) -> Double? {
        switch value {
        case .real(let number): number
        case .integer(let number): Double(number)
        default: nil
        }
    }
}

extension String: SQLValueConvertible {
    public var sqlValue: SQLValue { .text(self) }
    @inlinable public static func decode(from value: SQLValue) -> String? {
        if case .text(let text) = value { return text }
        return nil
    }
}

extension [UInt8]: SQLValueDecodable, SQLValueConvertible {
    public var sqlValue: SQLValue { .blob(self) }
    @inlinable public static func decode(from value: SQLValue) -> [UInt8]? {
        switch value {
        case .blob(let bytes): bytes
        case .text(let text): Array(text.utf8)
        default: nil
        }
    }
}

extension SQLValue: SQLValueConvertible {
    public var sqlValue: SQLValue { self }
    @inlinable public static func decode(from value: SQLValue) -> SQLValue? { value }
}

extension Optional: SQLValueDecodable where Wrapped: SQLValueDecodable {
    /// `.null` decodes to `.some(nil)`; any other value decodes through `Wrapped`.
    @inlinable public static func decode(from value: SQLValue) -> Wrapped?? {
        if case .null = value { return .some(nil) }
        return Wrapped.decode(from: value).map { .some($0) }
    }
}

extension Optional: SQLValueConvertible where Wrapped: SQLValueConvertible {
    public var sqlValue: SQLValue { self?.sqlValue ?? .null }
}

/// An enumeration stored as its raw text (a status, a role, a kind). It binds as its raw value
/// and reads back only as one of its cases: a stored value that is no case fails to decode (a
/// ``RowError``), never becomes a default. It prints as its raw value (`partially_refunded`),
/// as it is stored and exchanged.
///
/// ```swift
/// enum HoldStatus: String, SQLTextEnum { case active, confirmed, released, expired }
/// let status: HoldStatus = try row.get("status")
/// ```
public protocol SQLTextEnum: RawRepresentable, SQLValueConvertible, CustomStringConvertible where RawValue == String {}

extension SQLTextEnum {
    public var description: String { rawValue }

    public var sqlValue: SQLValue { .text(rawValue) }

    @inlinable public static func decode(from value: SQLValue) -> Self? {
        guard case .text(let text) = value else { return nil }
        return Self(rawValue: text)
    }
}
