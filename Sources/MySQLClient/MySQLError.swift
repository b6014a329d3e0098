/// An error from the MySQL/MariaDB server or client library, with the codes callers act on.
///
/// Keeps `mysql_errno` and `mysql_sqlstate` as the server sent them, the message, and the SQL
/// that failed (never the bound values). ``kind`` maps the codes once, here, to the cases the
/// sync engine and the tools decide on, and ``isDataError`` splits every error in two:
/// - *data*: these values can never be stored (too long, out of range, a constraint) — the
///   record carrying them is parked, and the rest flows;
/// - *operational*: everything else (read-only, privileges, a full table, a timeout, a killed
///   query, a lost connection, a missing table, a bug) — the work is rolled back and retried,
///   never skipped.
public struct MySQLError: Error, Equatable, Sendable, CustomStringConvertible {
    /// What the caller should make of an error.
    public enum Kind: String, Sendable, Equatable {
        /// 1290 (`--read-only`) or 1836 (read-only mode): central is being rolled back; retry later.
        case readOnly = "read_only"
        /// 1062: a unique key already holds the value (a data error).
        case duplicateKey = "duplicate_key"
        /// 1213: chosen as deadlock victim, or (Galera) failed certification against a conflicting
        /// transaction committed first through another member; 3101: the same certification failure
        /// in MySQL Group Replication. The transaction was rolled back: retry it.
        case deadlock
        /// 1205: a lock wait timed out; retry.
        case lockWaitTimeout = "lock_wait_timeout"
        /// 2006 / 2013 / 2055, 1053 (shutdown), 1927 (killed): the connection is gone; reconnect and retry.
        case connectionLost = "connection_lost"
        /// 2002 / 2003 / 2005, 1040 (too many connections): no server to talk to; central is unreachable.
        case cannotConnect = "cannot_connect"
        /// 1047 from a Galera member (`WSREP has not yet prepared node for application use`): it left
        /// the primary component or is not synced; use another member.
        case memberUnavailable = "member_unavailable"
        /// 1045: wrong user or password.
        case accessDenied = "access_denied"
        /// 1044, 1142, 1143, 1227, 1370: the user lacks a grant; retry once an administrator grants it.
        case privileges
        /// 1114 (table full), 1021 (disk full), 1037/1038/1041 (memory), 1030 (storage engine),
        /// 1203/1226 (user limits): the server is short of something; retry later.
        case resources
        /// 1969 / 3024 (statement time limit), 1317 (query killed): retry.
        case interrupted
        /// 1146, 1054, 1364: a table or column is missing or differs: the schema is not what the
        /// client expects (run the migrations); retry after.
        case schema
        /// SQLSTATE class 22 (data exception) or 23 (integrity constraint), and 1366, 1265, 1411:
        /// the values themselves can never be stored.
        case data
        /// Anything else (a syntax error, a client-side problem): operational, retried.
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

    /// The same error with `hint` after its message.
    public func adding(_ hint: String) -> MySQLError {
        MySQLError(code: code, sqlState: sqlState, message: "\(message) (\(hint))", sql: sql)
    }

    /// The case this error falls into.
    public var kind: Kind {
        switch code {
        case 1290, 1836: return .readOnly
        case 1062: return .duplicateKey
        case 1213, 3101: return .deadlock
        case 1205: return .lockWaitTimeout
        case 2006, 2013, 2055, 1053, 1927: return .connectionLost
        case 2002, 2003, 2005, 1040: return .cannotConnect
        case 1047: return .memberUnavailable
        // A Galera member that leaves the primary component while a transaction commits answers
        // 1180 ("Got error … during COMMIT … Not connected to Primary Component"), not 1047.
        case 1180 where message.contains("Primary Component"): return .memberUnavailable
        case 1045: return .accessDenied
        case 1044, 1142, 1143, 1227, 1370: return .privileges
        case 1114, 1021, 1037, 1038, 1041, 1030, 1203, 1226: return .resources
        case 1969, 3024, 1317: return .interrupted
        case 1146, 1054, 1364: return .schema
        case 1366, 1265, 1411: return .data
        default:
            return sqlState.hasPrefix("22") || sqlState.hasPrefix("23") ? .data : .other
        }
    }

    /// True when the values can never be stored, whatever is retried: the only errors that park
    /// a record. Every other error is operational: roll back, retry, skip nothing.
    public var isDataError: Bool { kind == .data || kind == .duplicateKey }

    /// True when the connection can no longer be used.
    public var breaksConnection: Bool {
        kind == .connectionLost || kind == .cannotConnect || kind == .memberUnavailable
    }

    public var description: String {
        var text = "MySQL error \(code) (\(sqlState)): \(message)"
        if let sql { text += " [\(sql.count > 200 ? String(sql.prefix(200)) + "…" : sql)]" }
        return text
    }
}
