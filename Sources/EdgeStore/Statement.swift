import CSQLite

/// A prepared statement: owns its `sqlite3_stmt` from `init` to `deinit`.
///
/// Statements belong to their ``Database`` and share its thread confinement. They are reused
/// through the database's cache: each use binds every parameter afresh and resets afterwards.
final class Statement {
    let handle: OpaquePointer
    let sql: String
    private unowned let database: Database
    private(set) lazy var columns: ColumnNames = ColumnNames(
        (0..<sqlite3_column_count(handle)).map { String(cString: sqlite3_column_name(handle, $0)) })

    init(database: Database, sql: String) throws {
        var handle: OpaquePointer?
        let code = sqlite3_prepare_v3(database.handle, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &handle, nil)
        guard code == SQLITE_OK, let handle else {
            throw database.error(code: code, sql: sql)
        }
        self.handle = handle
        self.sql = sql
        self.database = database
    }

    deinit { sqlite3_finalize(handle) }

    /// Binds `arguments` to the `?` placeholders, in order; their count must match.
    func bind(_ arguments: [SQLValue]) throws {
        let expected = Int(sqlite3_bind_parameter_count(handle))
        guard arguments.count == expected else {
            throw StoreError(
                code: .error, message: "statement expects \(expected) arguments, got \(arguments.count)",
                sql: sql)
        }
        for (offset, argument) in arguments.enumerated() {
            let index = Int32(offset + 1)
            let code: Int32
            switch argument {
            case .null: code = sqlite3_bind_null(handle, index)
            case .integer(let number): code = sqlite3_bind_int64(handle, index, number)
            case .real(let number): code = sqlite3_bind_double(handle, index, number)
            case .text(let text) where text.isEmpty:
                code = csqlite_bind_text(handle, index, "", 0)  // a NULL pointer would bind NULL
            case .text(var text):
                // The string's own UTF-8 (made contiguous if it is not), with its length: SQLite
                // copies it and needs no terminating NUL.
                code = text.withUTF8 { utf8 in
                    utf8.withMemoryRebound(to: CChar.self) {
                        csqlite_bind_text(handle, index, $0.baseAddress, Int32($0.count))
                    }
                }
            case .blob(let bytes):
                code = bytes.withUnsafeBytes {
                    csqlite_bind_blob(
                        handle, index, $0.baseAddress ?? UnsafeRawPointer(bitPattern: 1), Int32(bytes.count))
                }
            }
            guard code == SQLITE_OK else { throw database.error(code: code, sql: sql) }
        }
    }

    /// Steps once: the next row, or nil when the statement is done.
    func step() throws -> Row? {
        switch sqlite3_step(handle) {
        case SQLITE_ROW:
            let count = sqlite3_column_count(handle)
            var values = [SQLValue]()
            values.reserveCapacity(Int(count))
            for column in 0..<count { values.append(value(at: column)) }
            return Row(columns: columns, values: values)
        case SQLITE_DONE:
            return nil
        case let code:
            throw database.error(code: code, sql: sql)
        }
    }

    /// Steps once: the next row's first column, which must be an integer (anything else, NULL
    /// included, is a `.mismatch` error), or nil when the statement is done. For scans of one
    /// integer column, without a ``Row`` for each.
    func stepInteger() throws -> Int64? {
        switch sqlite3_step(handle) {
        case SQLITE_ROW:
            guard sqlite3_column_type(handle, 0) == SQLITE_INTEGER else {
                throw StoreError(code: .mismatch, message: "expected an integer in the first column", sql: sql)
            }
            return sqlite3_column_int64(handle, 0)
        case SQLITE_DONE: return nil
        case let code: throw database.error(code: code, sql: sql)
        }
    }

    /// Resets for the next use. Errors of the last step were already thrown. The bindings stay:
    /// every use binds every parameter (``bind(_:)`` checks the count), replacing them.
    func reset() {
        sqlite3_reset(handle)
    }

    private func value(at column: Int32) -> SQLValue {
        switch sqlite3_column_type(handle, column) {
        case SQLITE_INTEGER: return .integer(sqlite3_column_int64(handle, column))
        case SQLITE_FLOAT: return .real(sqlite3_column_double(handle, column))
        case SQLITE_TEXT:
            guard let text = sqlite3_column_text(handle, column) else { return .text("") }
            let length = Int(sqlite3_column_bytes(handle, column))
            return .text(String(decoding: UnsafeBufferPointer(start: text, count: length), as: UTF8.self))
        case SQLITE_BLOB:
            let length = Int(sqlite3_column_bytes(handle, column))
            guard length > 0, let bytes = sqlite3_column_blob(handle, column) else { return .blob([]) }
            return .blob(Array(UnsafeRawBufferPointer(start: bytes, count: length)))
        default: return .null
        }
    }
}

@available(*, unavailable, message: "a statement is used by its database's thread only")
extension Statement: Sendable {}
