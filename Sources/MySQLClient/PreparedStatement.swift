import CMySQL
import SQLValues

/// A server-side prepared statement: owns its `MYSQL_STMT` from `init` to `deinit`.
///
/// Parameters are always bound (binary protocol); results are read into typed values: integers
/// as `.integer`, floating point as `.real`, DECIMAL as `.integer` when whole (so `SUM()` reads
/// as a number), binary strings as `.blob`, everything else (text, dates) as `.text`. A value
/// that does not fit (an unsigned integer above `Int64.max`) is an error, never a clamped value.
/// Used by its connection's thread only.
final class PreparedStatement {
    let handle: UnsafeMutablePointer<MYSQL_STMT>
    let sql: String
    let parameterCount: Int

    init(connection: UnsafeMutablePointer<MYSQL>, sql: String) throws {
        guard let handle = mysql_stmt_init(connection) else {
            throw MySQLError(
                code: mysql_errno(connection), sqlState: String(cString: mysql_sqlstate(connection)),
                message: String(cString: mysql_error(connection)), sql: sql)
        }
        self.handle = handle
        self.sql = sql
        let utf8 = Array(sql.utf8)
        let prepared = utf8.withUnsafeBufferPointer { buffer in
            buffer.withMemoryRebound(to: CChar.self) { mysql_stmt_prepare(handle, $0.baseAddress, UInt(buffer.count)) }
        }
        parameterCount = Int(mysql_stmt_param_count(handle))
        // Throwing once every property is set runs deinit, which closes the handle.
        guard prepared == 0 else { throw Self.error(handle, sql: sql) }
        _ = cmysql_stmt_update_max_length(handle)
    }

    deinit { mysql_stmt_close(handle) }

    /// Executes with `arguments` and returns the rows (empty for statements without a result set).
    func run(_ arguments: [SQLValue]) throws -> (rows: [Row], affectedRows: Int, lastInsertID: UInt64) {
        guard arguments.count == parameterCount else {
            throw MySQLError(
                code: 0, message: "statement expects \(parameterCount) arguments, got \(arguments.count)", sql: sql)
        }
        try withBoundParameters(arguments) {
            guard mysql_stmt_execute(handle) == 0 else { throw Self.error(handle, sql: sql) }
        }
        let affected = Int(bitPattern: UInt(mysql_stmt_affected_rows(handle)))
        let insertID = UInt64(mysql_stmt_insert_id(handle))
        guard let metadata = mysql_stmt_result_metadata(handle) else {
            return ([], affected, insertID)
        }
        defer {
            mysql_free_result(metadata)
            mysql_stmt_free_result(handle)
        }
        guard mysql_stmt_store_result(handle) == 0 else { throw Self.error(handle, sql: sql) }
        return (try fetchAll(metadata), affected, insertID)
    }

    private func withBoundParameters(_ arguments: [SQLValue], _ body: () throws -> Void) throws {
        guard !arguments.isEmpty else { return try body() }
        let binds = UnsafeMutablePointer<MYSQL_BIND>.allocate(capacity: arguments.count)
        binds.initialize(repeating: MYSQL_BIND(), count: arguments.count)
        var allocations = [UnsafeMutableRawPointer]()
        defer {
            for allocation in allocations { allocation.deallocate() }
            binds.deallocate()
        }
        func storage(_ bytes: UnsafeRawBufferPointer) -> UnsafeMutableRawPointer {
            let pointer = UnsafeMutableRawPointer.allocate(byteCount: max(bytes.count, 1), alignment: 8)
            if let base = bytes.baseAddress { pointer.copyMemory(from: base, byteCount: bytes.count) }
            allocations.append(pointer)
            return pointer
        }
        for (index, argument) in arguments.enumerated() {
            switch argument {
            case .null:
                binds[index].buffer_type = MYSQL_TYPE_NULL
            case .integer(let number):
                binds[index].buffer_type = MYSQL_TYPE_LONGLONG
                binds[index].buffer = withUnsafeBytes(of: number) { storage($0) }
            case .real(let number):
                binds[index].buffer_type = MYSQL_TYPE_DOUBLE
                binds[index].buffer = withUnsafeBytes(of: number) { storage($0) }
            case .text(let text):
                let bytes = Array(text.utf8)
                binds[index].buffer_type = MYSQL_TYPE_STRING
                binds[index].buffer = bytes.withUnsafeBytes { storage($0) }
                binds[index].buffer_length = UInt(bytes.count)
                binds[index].length_value = UInt(bytes.count)
            case .blob(let bytes):
                binds[index].buffer_type = MYSQL_TYPE_BLOB
                binds[index].buffer = bytes.withUnsafeBytes { storage($0) }
                binds[index].buffer_length = UInt(bytes.count)
                binds[index].length_value = UInt(bytes.count)
            }
        }
        guard mysql_stmt_bind_param(handle, binds) == 0 else { throw Self.error(handle, sql: sql) }
        try body()
    }

    private enum ColumnKind {
        case integer(unsigned: Bool)
        case real, decimal, text, binary
    }

    private func fetchAll(_ metadata: UnsafeMutablePointer<MYSQL_RES>) throws -> [Row] {
        let count = Int(mysql_num_fields(metadata))
        guard count > 0, let fields = mysql_fetch_fields(metadata) else { return [] }
        let columns = ColumnNames((0..<count).map { String(cString: fields[$0].name) })
        var kinds = [ColumnKind]()
        let binds = UnsafeMutablePointer<MYSQL_BIND>.allocate(capacity: count)
        binds.initialize(repeating: MYSQL_BIND(), count: count)
        let nulls = UnsafeMutablePointer<my_bool>.allocate(capacity: count)
        let lengths = UnsafeMutablePointer<UInt>.allocate(capacity: count)
        var buffers = [UnsafeMutableRawPointer]()
        defer {
            for buffer in buffers { buffer.deallocate() }
            binds.deallocate()
            nulls.deallocate()
            lengths.deallocate()
        }
        for index in 0..<count {
            let field = fields[index]
            let kind: ColumnKind =
                switch field.type {
                case MYSQL_TYPE_TINY, MYSQL_TYPE_SHORT, MYSQL_TYPE_LONG, MYSQL_TYPE_LONGLONG, MYSQL_TYPE_INT24,
                    MYSQL_TYPE_YEAR:
                    .integer(unsigned: field.flags & UInt32(UNSIGNED_FLAG) != 0)
                case MYSQL_TYPE_FLOAT, MYSQL_TYPE_DOUBLE: .real
                case MYSQL_TYPE_NEWDECIMAL, MYSQL_TYPE_DECIMAL: .decimal
                case MYSQL_TYPE_BLOB, MYSQL_TYPE_TINY_BLOB, MYSQL_TYPE_MEDIUM_BLOB, MYSQL_TYPE_LONG_BLOB,
                    MYSQL_TYPE_STRING, MYSQL_TYPE_VAR_STRING:
                    field.charsetnr == 63 ? .binary : .text
                default: .text
                }
            kinds.append(kind)
            let size: Int
            switch kind {
            case .integer:
                binds[index].buffer_type = MYSQL_TYPE_LONGLONG
                if case .integer(let unsigned) = kind { binds[index].is_unsigned = unsigned ? 1 : 0 }
                size = 8
            case .real:
                binds[index].buffer_type = MYSQL_TYPE_DOUBLE
                size = 8
            case .decimal, .text:
                binds[index].buffer_type = MYSQL_TYPE_STRING
                size = Int(field.max_length) + 1
            case .binary:
                binds[index].buffer_type = MYSQL_TYPE_BLOB
                size = Int(field.max_length) + 1
            }
            let buffer = UnsafeMutableRawPointer.allocate(byteCount: size, alignment: 8)
            buffers.append(buffer)
            binds[index].buffer = buffer
            binds[index].buffer_length = UInt(size)
            binds[index].is_null = nulls + index
            binds[index].length = lengths + index
        }
        guard mysql_stmt_bind_result(handle, binds) == 0 else { throw Self.error(handle, sql: sql) }
        var rows = [Row]()
        while true {
            let status = mysql_stmt_fetch(handle)
            if status == MYSQL_NO_DATA { break }
            guard status == 0 else {
                throw status == MYSQL_DATA_TRUNCATED
                    ? MySQLError(code: 0, message: "a value was truncated while reading the result", sql: sql)
                    : Self.error(handle, sql: sql)
            }
            var values = [SQLValue]()
            values.reserveCapacity(count)
            for index in 0..<count {
                guard nulls[index] == 0 else {
                    values.append(.null)
                    continue
                }
                let buffer = buffers[index]
                let length = Int(lengths[index])
                switch kinds[index] {
                case .integer(let unsigned):
                    let raw = buffer.load(as: Int64.self)
                    guard !unsigned || raw >= 0 else {
                        throw MySQLError(
                            code: 0,
                            message: "column \(columns.names[index]) holds \(UInt64(bitPattern: raw)), "
                                + "beyond the largest signed 64-bit integer", sql: sql)
                    }
                    values.append(.integer(raw))
                case .real:
                    values.append(.real(buffer.load(as: Double.self)))
                case .decimal:
                    let text = String(decoding: UnsafeRawBufferPointer(start: buffer, count: length), as: UTF8.self)
                    if let whole = Int64(text) {
                        values.append(.integer(whole))
                    } else if let number = Double(text) {
                        values.append(.real(number))
                    } else {
                        throw MySQLError(
                            code: 0, message: "column \(columns.names[index]) holds '\(text.prefix(40))', not a number",
                            sql: sql)
                    }
                case .text:
                    values.append(
                        .text(String(decoding: UnsafeRawBufferPointer(start: buffer, count: length), as: UTF8.self)))
                case .binary:
                    values.append(.blob(Array(UnsafeRawBufferPointer(start: buffer, count: length))))
                }
            }
            rows.append(Row(columns: columns, values: values))
        }
        return rows
    }

    static func error(_ handle: UnsafeMutablePointer<MYSQL_STMT>, sql: String) -> MySQLError {
        MySQLError(
            code: mysql_stmt_errno(handle), sqlState: String(cString: mysql_stmt_sqlstate(handle)),
            message: String(cString: mysql_stmt_error(handle)), sql: sql)
    }
}
