/// An error from the MySQL/MariaDB server or client library, with the codes callers act on.
///
/// Keeps `mysql_errno` and `mysql_sqlstate` as the server sent them, the message, and the SQL
/// that failed (never the bound values). ``kind`` maps the codes once, here, to the few cases
/// the sync engine decides on.
public struct MySQLError: Error, Equatable, Sendable, CustomStringConvertible {
    /// What the caller should make of an error.
    public enum Kind: String, Sendable, Equatable {
        /// 1290 (`--read-only`) or 1836 (read-only mode): central is being rolled back; retry later.
        case readOnly
        /// 1062: a unique key already holds the value.
        case duplicateKey
        /// 1213: chosen as deadlock victim; the transaction was rolled back, retry it.
        case deadlock
        /// 1205: a lock wait timed out; retry.
        case lockWaitTimeout
        /// 2006 / 2013: the connection went away mid-conversation; reconnect and retry.
        case connectionLost
        /// 2002 / 2003 / 2005: no server at that address; central is unreachable.
        case cannotConnect
        /// 1044 / 1045: wrong user, password or grants; retrying will not help.
        case accessDenied
        /// Anything else: the statement or the data is wrong.
        case other
    }

    /// `mysql_errno`: 1xxx from the server, 2xxx from the client library.
    public let code: UInt32
    /// `mysql_sqlstate` (`HY000`, `23000`…).
    public let sqlState: String
    /// The message.
    public let message: String
    /// The statement that failed, when there was one.
    public let sql: String?

    /// An error with its codes.
    public init(code: UInt32, sqlState: String = "HY000", message: String, sql: String? = nil) {
        self.code = code
        self.sqlState = sqlState
        self.message = message
        self.sql = sql
    }

    /// The case this error falls into.
    public var kind: Kind {
        switch code {
        case 1290, 1836: .readOnly
        case 1062: .duplicateKey
        case 1213: .deadlock
        case 1205: .lockWaitTimeout
        case 2006, 2013, 2055: .connectionLost
        case 2002, 2003, 2005: .cannotConnect
        case 1044, 1045: .accessDenied
        default: .other
        }
    }

    /// True for errors that a later retry of the same work can overcome.
    public var isTransient: Bool {
        [.readOnly, .deadlock, .lockWaitTimeout, .connectionLost, .cannotConnect].contains(kind)
    }

    /// True when the connection can no longer be used.
    public var breaksConnection: Bool { kind == .connectionLost || kind == .cannotConnect }

    public var description: String {
        var text = "MySQL error \(code) (\(sqlState)): \(message)"
        if let sql { text += " [\(sql.count > 200 ? String(sql.prefix(200)) + "…" : sql)]" }
        return text
    }
}
