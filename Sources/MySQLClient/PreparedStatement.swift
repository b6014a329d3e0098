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
        try execute(arguments)
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
        let reader = try ResultReader(statement: self, metadata: metadata, buffered: true)
        var rows = [Row]()
        while let row = try reader.next() { rows.append(row) }
        return (rows, affected, insertID)
    }

    /// Executes with `arguments`, leaving any result set on the server to be read.
    func execute(_ arguments: [SQLValue]) throws {
        guard arguments.count == parameterCount else {
            throw MySQLError(
                code: 0, message: "statement expects \(parameterCount) arguments, got \(arguments.count)", sql: sql)
        }
        try withBoundParameters(arguments) {
            guard mysql_stmt_execute(handle) == 0 else { throw Self.error(handle, sql: sql) }
        }
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

    static func error(_ handle: UnsafeMutablePointer<MYSQL_STMT>, sql: String) -> MySQLError {
        MySQLError(
            code: mysql_stmt_errno(handle), sqlState: String(cString: mysql_stmt_sqlstate(handle)),
            message: String(cString: mysql_stmt_error(handle)), sql: sql)
    }
}
