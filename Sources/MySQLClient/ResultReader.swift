import CMySQL
import SQLValues

/// Reads the rows of an executed statement's result set into typed values: integers as
/// `.integer`, floating point as `.real`, DECIMAL as `.integer` when whole (so `SUM()` reads as a
/// number), binary strings as `.blob`, everything else (text, dates) as `.text`. A value that
/// does not fit (an unsigned integer above `Int64.max`) is an error, never a clamped value.
///
/// A stored result (`buffered`) sizes each column's buffer to its longest value; a result read
/// as the server sends it starts from the column's declared length (at most 64 KiB) and reads a
/// longer value whole into a buffer grown for it.
final class ResultReader {
    private enum ColumnKind {
        case integer(unsigned: Bool)
        case real, decimal, text, binary
    }

    private static let largestFirstBuffer = 64 * 1024

    private let statement: PreparedStatement
    private let columns: ColumnNames
    private let kinds: [ColumnKind]
    private let binds: UnsafeMutablePointer<MYSQL_BIND>
    private let nulls: UnsafeMutablePointer<my_bool>
    private let lengths: UnsafeMutablePointer<UInt>
    private var buffers: [UnsafeMutableRawPointer]

    init(statement: PreparedStatement, metadata: UnsafeMutablePointer<MYSQL_RES>, buffered: Bool) throws {
        self.statement = statement
        let count = Int(mysql_num_fields(metadata))
        let fields = mysql_fetch_fields(metadata)
        columns = ColumnNames((0..<count).map { String(cString: fields![$0].name) })
        binds = .allocate(capacity: count)
        binds.initialize(repeating: MYSQL_BIND(), count: count)
        nulls = .allocate(capacity: count)
        lengths = .allocate(capacity: count)
        var kinds = [ColumnKind]()
        buffers = []
        for index in 0..<count {
            let field = fields![index]
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
            case .integer(let unsigned):
                binds[index].buffer_type = MYSQL_TYPE_LONGLONG
                binds[index].is_unsigned = unsigned ? 1 : 0
                size = 8
            case .real:
                binds[index].buffer_type = MYSQL_TYPE_DOUBLE
                size = 8
            case .decimal, .text, .binary:
                if case .binary = kind {
                    binds[index].buffer_type = MYSQL_TYPE_BLOB
                } else {
                    binds[index].buffer_type = MYSQL_TYPE_STRING
                }
                size = (buffered ? Int(field.max_length) : min(Int(field.length), Self.largestFirstBuffer)) + 1
            }
            let buffer = UnsafeMutableRawPointer.allocate(byteCount: size, alignment: 8)
            buffers.append(buffer)
            binds[index].buffer = buffer
            binds[index].buffer_length = UInt(size)
            binds[index].is_null = nulls + index
            binds[index].length = lengths + index
        }
        self.kinds = kinds
        guard mysql_stmt_bind_result(statement.handle, binds) == 0 else {
            throw PreparedStatement.error(statement.handle, sql: statement.sql)
        }
    }

    deinit {
        for buffer in buffers { buffer.deallocate() }
        binds.deallocate()
        nulls.deallocate()
        lengths.deallocate()
    }

    /// The next row, or nil after the last.
    func next() throws -> Row? {
        let (handle, sql) = (statement.handle, statement.sql)
        let status = mysql_stmt_fetch(handle)
        if status == MYSQL_NO_DATA { return nil }
        if status == MYSQL_DATA_TRUNCATED {
            try readTruncatedValuesWhole()
        } else if status != 0 {
            throw PreparedStatement.error(handle, sql: sql)
        }
        var values = [SQLValue]()
        values.reserveCapacity(kinds.count)
        for index in kinds.indices {
            guard nulls[index] == 0 else {
                values.append(.null)
                continue
            }
            let buffer = buffers[index]
            let bytes = UnsafeRawBufferPointer(start: buffer, count: Int(lengths[index]))
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
                let text = String(decoding: bytes, as: UTF8.self)
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
                values.append(.text(String(decoding: bytes, as: UTF8.self)))
            case .binary:
                values.append(.blob(Array(bytes)))
            }
        }
        return Row(columns: columns, values: values)
    }

    /// Grows the buffer of each value longer than it and reads that value again, whole.
    private func readTruncatedValuesWhole() throws {
        let (handle, sql) = (statement.handle, statement.sql)
        var grown = false
        for index in kinds.indices where nulls[index] == 0 && lengths[index] > binds[index].buffer_length {
            let size = Int(lengths[index]) + 1
            buffers[index].deallocate()
            buffers[index] = UnsafeMutableRawPointer.allocate(byteCount: size, alignment: 8)
            binds[index].buffer = buffers[index]
            binds[index].buffer_length = UInt(size)
            guard mysql_stmt_fetch_column(handle, binds + index, UInt32(index), 0) == 0 else {
                throw PreparedStatement.error(handle, sql: sql)
            }
            grown = true
        }
        guard grown else {
            throw MySQLError(code: 0, message: "a value was truncated while reading the result", sql: sql)
        }
        // Bound again once the row is read: binding clears what the library knows of the row.
        guard mysql_stmt_bind_result(handle, binds) == 0 else { throw PreparedStatement.error(handle, sql: sql) }
    }
}
