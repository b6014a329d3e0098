/// One result row, read eagerly from the statement: its values stay valid after the next step.
///
/// ```swift
/// for row in try db.rows("SELECT id, quota FROM allocation") {
///     let id: String = try row.get("id")
///     let quota: Int = try row.get(1)
/// }
/// ```
public struct Row: Sendable {
    /// Column names, shared by every row of one statement.
    public let columns: ColumnNames
    /// The values, in column order.
    public let values: [SQLValue]

    /// A row of `values` named by `columns`.
    public init(columns: ColumnNames, values: [SQLValue]) {
        self.columns = columns
        self.values = values
    }

    /// The raw value of a column by name, or nil when the row has no such column.
    public subscript(column: String) -> SQLValue? {
        columns.index(of: column).map { values[$0] }
    }

    /// The value of the named column as `T`; throws when the column is missing or does not
    /// decode (a NULL into a non-optional, text into an integer).
    public func get<T: SQLValueDecodable>(_ column: String, as type: T.Type = T.self) throws -> T {
        guard let index = columns.index(of: column) else {
            throw RowError(message: "no column named \(column) in the result")
        }
        return try get(index)
    }

    /// The value at a column position as `T`. Inlinable, so that callers get it specialised for
    /// their `T`: hot paths read many rows by position.
    @inlinable
    public func get<T: SQLValueDecodable>(_ index: Int, as type: T.Type = T.self) throws -> T {
        guard values.indices.contains(index), let decoded = T.decode(from: values[index]) else {
            throw mismatch(at: index, as: T.self)
        }
        return decoded
    }

    /// Why ``get(_:as:)`` could not read the column at `index` as `type`.
    @usableFromInline
    func mismatch(at index: Int, as type: Any.Type) -> RowError {
        values.indices.contains(index)
            ? RowError(message: "column \(columns.names[index]) holds \(values[index]), not \(type)")
            : RowError(message: "no column at index \(index) in the result")
    }
}

/// The column names of a result, with a name-to-position index built once per statement.
public final class ColumnNames: Sendable {
    /// Names in column order.
    public let names: [String]
    private let positions: [String: Int]
    /// Positions by name folded for property look-up (``folded(_:)``).
    private let propertyPositions: [String: Int]

    /// Names in column order.
    public init(_ names: [String]) {
        self.names = names
        var positions = [String: Int]()
        var propertyPositions = [String: Int]()
        for (index, name) in names.enumerated() {
            if positions[name] == nil { positions[name] = index }
            let folded = Self.folded(name)
            if propertyPositions[folded] == nil { propertyPositions[folded] = index }
        }
        self.positions = positions
        self.propertyPositions = propertyPositions
    }

    /// The position of the first column called `name`.
    public func index(of name: String) -> Int? { positions[name] }

    /// The position of the column a Swift property reads: `eventID` and `event_id` fold alike.
    func index(ofProperty name: String) -> Int? { propertyPositions[Self.folded(name)] }

    /// `name` in ASCII lower case without underscores.
    private static func folded(_ name: String) -> String {
        String(
            decoding: name.utf8.compactMap { byte in
                byte == 95 ? nil : (65...90).contains(byte) ? byte + 32 : byte
            }, as: UTF8.self)
    }
}

/// A row could not be read as asked: a missing column, or a value of another type.
public struct RowError: Error, Equatable, Sendable, CustomStringConvertible {
    /// What went wrong.
    public let message: String

    public var description: String { message }
}
