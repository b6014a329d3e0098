import CMySQL
import SQLValues

/// The rows of one query read as the server sends them, one ``next()`` at a time, instead of
/// all at once: a pass over millions of rows in the memory of one row.
///
/// While it is open its connection runs nothing else (the server is still sending): a statement
/// on it throws. It ends after its last row, at ``close()`` (the rows not read are discarded), or
/// when it is released.
public final class MySQLCursor {
    private let connection: MySQLConnection
    private var statement: PreparedStatement?
    private var reader: ResultReader?
    private var metadata: UnsafeMutablePointer<MYSQL_RES>?

    init(connection: MySQLConnection, statement: PreparedStatement, arguments: [SQLValue]) throws {
        self.connection = connection
        self.statement = statement
        try statement.execute(arguments)
        guard let metadata = mysql_stmt_result_metadata(statement.handle) else {
            throw MySQLError(code: 0, message: "a cursor needs a query that returns rows", sql: statement.sql)
        }
        self.metadata = metadata
        reader = try ResultReader(statement: statement, metadata: metadata, buffered: false)
        connection.cursorOpen = true
    }

    deinit { close() }

    /// The next row, or nil after the last (the cursor is then closed).
    public func next() throws -> Row? {
        guard let reader else { return nil }
        do {
            if let row = try reader.next() { return row }
        } catch {
            close()
            throw error
        }
        close()
        return nil
    }

    /// Ends the cursor, discarding the rows not read, and frees its connection.
    public func close() {
        guard let statement else { return }
        reader = nil
        if let metadata { mysql_free_result(metadata) }
        metadata = nil
        mysql_stmt_free_result(statement.handle)
        self.statement = nil  // closing the statement reads and drops what the server still sends
        connection.cursorOpen = false
    }
}
