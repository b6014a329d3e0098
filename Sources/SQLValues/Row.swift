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
    public func get<T: SQLValueConvertible>(_ column: String, as type: T.Type = T.self) throws -> T {
        guard let index = columns.index(of: column) else {
            throw RowError(message: "no column named \(column) in the result")
        }
        return try get(index)
    }

    /// The value at a column position as `T`.
    public func get<T: SQLValueConvertible>(_ index: Int, as type: T.Type = T.self) throws -> T {
        guard values.indices.contains(index) else {
            throw RowError(message: "no column at index \(index) in the result")
        }
        guard let decoded = T.decode(from: values[index]) else {
            throw RowError(message: "column \(columns.names[index]) holds \(values[index]), not \(T.self)")
        }
        return decoded
    }
}

/// The column names of a result, with a name-to-position index built once per statement.
public final class ColumnNames: Sendable {
    /// Names in column order.
    public let names: [String]
    private let positions: [String: Int]

    /// Names in column order.
    public init(_ names: [String]) {
        self.names = names
        var positions = [String: Int]()
        for (index, name) in names.enumerated() where positions[name] == nil { positions[name] = index }
        self.positions = positions
    }

    /// The position of the first column called `name`.
    public func index(of name: String) -> Int? { positions[name] }
}

/// A row could not be read as asked: a missing column, or a value of another type.
public struct RowError: Error, Equatable, Sendable, CustomStringConvertible {
    /// What went wrong.
    public let message: String

    public var description: String { message }
}
