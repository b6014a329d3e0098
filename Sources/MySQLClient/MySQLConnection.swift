import CMySQL
import Foundation
// Rows and values are part of this module's API.
@_exported import SQLValues

/// One connection to MySQL or MariaDB: owns its `MYSQL` handle from `init` to `deinit`.
///
/// UTF-8 (utf8mb4), UTC session time zone, strict SQL mode, no automatic reconnection (a lost
/// connection is an error the caller sees, so it never replays half a transaction). Statements
/// are prepared once per connection and cached by SQL text; arguments are always bound.
///
/// A connection is used from one thread at a time (it is not `Sendable`).
///
/// ```swift
/// let central = try MySQLConnection(MySQLConfiguration(url: "mysql://app@127.0.0.1:3306/central"))
/// try central.transaction {
///     try central.execute("UPDATE node SET last_seen_at = NOW(3) WHERE id = ?", ["BOX-1"])
/// }
/// ```
public final class MySQLConnection {
    /// What this connection was opened with (no secrets in its description).
    public let configuration: MySQLConfiguration
    private let handle: UnsafeMutablePointer<MYSQL>
    private var statements: [String: PreparedStatement] = [:]
    private static let maxCachedStatements = 256
    private static let libraryReady: Bool = { cmysql_library_init() == 0 }()

    /// Connects and configures the session; throws a ``MySQLError`` (`.cannotConnect`,
    /// `.accessDenied`…) when it cannot.
    ///
    /// With several members (a cluster), tries them in the URL's order from `first` (wrapping):
    /// the first that answers, is ready (a Galera member `Synced` in the primary component with
    /// `wsrep_ready` ON) and is writable is used; when every member that is ready is read-only (the
    /// whole cluster rolled back), the first of them is, so reads go on and writes fail with 1290.
    /// Each member passed over is listed in ``skippedMembers``; when none is ready, the error names
    /// each member's.
    public init(_ configuration: MySQLConfiguration, startingWith first: MySQLConfiguration.Member? = nil) throws {
        guard Self.libraryReady else {
            throw MySQLError(code: 2008, message: "cannot initialise the MySQL client library")
        }
        self.configuration = configuration
        var skipped = [SkippedMember]()
        var failures = [MySQLError]()
        var readOnly: (handle: UnsafeMutablePointer<MYSQL>, state: MemberState)?
        var chosen: (handle: UnsafeMutablePointer<MYSQL>, state: MemberState)?
        for member in configuration.members(startingWith: first) {
            let handle: UnsafeMutablePointer<MYSQL>
            let state: MemberState
            do {
                handle = try Self.open(member, configuration)
                do {
                    state = try MemberState.read(member: member) { try Self.textRows(handle, $0) }
                } catch {
                    mysql_close(handle)
                    throw error
                }
            } catch let error as MySQLError {
                failures.append(error)
                skipped.append(SkippedMember(member: member, reason: error.description))
                continue
            }
            if let problem = state.unavailability {
                mysql_close(handle)
                failures.append(
                    MySQLError(code: 1047, sqlState: "08S01", message: "\(member) is not ready: \(problem)"))
                skipped.append(SkippedMember(member: member, reason: problem))
            } else if state.readOnly, configuration.members.count > 1 {
                if readOnly == nil { readOnly = (handle, state) } else { mysql_close(handle) }
                skipped.append(SkippedMember(member: member, reason: "read-only"))
            } else {
                chosen = (handle, state)
                break
            }
        }
        if chosen != nil, let unused = readOnly { mysql_close(unused.handle) }
        guard let (handle, state) = (chosen ?? readOnly).map({ ($0.handle, $0.state) }) else {
            throw Self.combined(failures, skipped)
        }
        self.handle = handle
        memberState = state
        skippedMembers = skipped.filter { $0.member != state.member }
        connectionID = UInt64(mysql_thread_id(handle))
        serverIdentity = state.server
        // Causal reads on a Galera member: a read waits until the member has applied every write the
        // cluster committed before it, so a client that moved to this member reads its own writes.
        if state.cluster != nil { try executeScript("SET SESSION wsrep_sync_wait = 1") }
    }

    /// A connected and configured handle to `member`.
    private static func open(_ member: MySQLConfiguration.Member, _ configuration: MySQLConfiguration) throws
        -> UnsafeMutablePointer<MYSQL>
    {
        guard let handle = mysql_init(nil) else {
            throw MySQLError(code: 2008, message: "cannot initialise the MySQL client library")
        }
        _ = cmysql_set_uint_option(handle, MYSQL_OPT_CONNECT_TIMEOUT, UInt32(configuration.connectTimeout))
        _ = cmysql_set_uint_option(handle, MYSQL_OPT_READ_TIMEOUT, UInt32(configuration.readTimeout))
        _ = cmysql_set_uint_option(handle, MYSQL_OPT_WRITE_TIMEOUT, UInt32(configuration.writeTimeout))
        _ = cmysql_set_bool_option(handle, MYSQL_OPT_RECONNECT, 0)
        _ = mysql_options(handle, MYSQL_SET_CHARSET_NAME, "utf8mb4")
        // `localhost` would silently mean the default unix socket: TCP unless a socket is named.
        let protocolType = configuration.socket == nil ? MYSQL_PROTOCOL_TCP : MYSQL_PROTOCOL_SOCKET
        _ = cmysql_set_uint_option(handle, MYSQL_OPT_PROTOCOL, protocolType.rawValue)
        _ = cmysql_set_bool_option(handle, MYSQL_OPT_SSL_ENFORCE, configuration.tls == .disabled ? 0 : 1)
        if configuration.tls.verifiesCertificate {
            // A CA makes the handshake check the chain; verify_identity also checks the host name.
            if let file = configuration.certificateAuthorityFile {
                _ = mysql_options(handle, MYSQL_OPT_SSL_CA, file)
            } else {
                _ = mysql_options(handle, MYSQL_OPT_SSL_CAPATH, MySQLConfiguration.systemCertificateDirectory)
            }
            _ = cmysql_set_bool_option(
                handle, MYSQL_OPT_SSL_VERIFY_SERVER_CERT, configuration.tls == .verifyIdentity ? 1 : 0)
        }
        let connected = mysql_real_connect(
            handle, configuration.socket == nil ? member.host : nil, configuration.user,
            configuration.password, configuration.database, UInt32(member.port), configuration.socket, 0)
        guard connected != nil else {
            let error = Self.error(handle, sql: nil)
            mysql_close(handle)
            guard error.kind == .accessDenied, configuration.tls == .disabled else { throw error }
            throw error.adding("the server may require TLS for this user: try tls=verify_identity (or verify_ca)")
        }
        // The client library opens its socket without close-on-exec: a program this process starts
        // (sendmail, or venue-syncd starting itself again) would keep the server session open.
        let socket = mysql_get_socket(handle)
        if socket >= 0 { _ = fcntl(socket, F_SETFD, fcntl(socket, F_GETFD) | FD_CLOEXEC) }
        do {
            try execute(
                script: sessionSetup(
                    configuration, mariaDB: String(cString: mysql_get_server_info(handle)).contains("MariaDB")),
                on: handle)
        } catch {
            mysql_close(handle)
            throw error
        }
        return handle
    }

    /// The error of a connection no member took: a single member's own, or one naming every member's.
    private static func combined(_ failures: [MySQLError], _ skipped: [SkippedMember]) -> MySQLError {
        guard failures.count > 1, let first = failures.first else {
            return failures.first ?? MySQLError(code: 2003, message: "no member to connect to")
        }
        let reference = Set(failures.map(\.kind)).count == 1 ? first : MySQLError(code: 2003, message: "")
        return MySQLError(
            code: reference.code, sqlState: reference.sqlState,
            message: "no member of central is ready: " + skipped.map(\.description).joined(separator: "; "))
    }

    /// The member this connection reached and its state when it connected.
    public let memberState: MemberState
    /// The member this connection reached, as the URL names it.
    public var member: MySQLConfiguration.Member { memberState.member }
    /// Members tried before it and passed over, with why.
    public let skippedMembers: [SkippedMember]

    deinit {
        statements.removeAll()
        mysql_close(handle)
    }

    /// The server's id for this session (`CONNECTION_ID()`), to end it from another session.
    public private(set) var connectionID: UInt64 = 0
    /// `host:port` as the server names itself: tells whether two sessions are on the same server
    /// (a cluster's members each number their sessions on their own).
    public let serverIdentity: String

    /// UTC, strict SQL, and bounded waits: a row lock is waited for `lockWaitTimeout` at most, and
    /// a transaction whose client went silent is ended after `idleTransactionTimeout`, so a session
    /// orphaned by a frozen network cannot hold its locks for hours. MariaDB has a timeout for idle
    /// transactions only; MySQL 8 has none, so there the idle timeout of the whole session serves.
    static func sessionSetup(_ configuration: MySQLConfiguration, mariaDB: Bool) -> String {
        [
            "SET time_zone = '+00:00'",
            "SET SESSION sql_mode = 'STRICT_TRANS_TABLES,NO_ZERO_IN_DATE,NO_ZERO_DATE,ERROR_FOR_DIVISION_BY_ZERO,NO_ENGINE_SUBSTITUTION'",
            "SET SESSION innodb_lock_wait_timeout = \(configuration.lockWaitTimeout)",
            mariaDB
                ? "SET SESSION idle_transaction_timeout = \(configuration.idleTransactionTimeout)"
                : "SET SESSION wait_timeout = \(configuration.idleTransactionTimeout)",
        ].joined(separator: ";\n")
    }

    /// Ends another session of this user on this server (`KILL CONNECTION`), rolling back its
    /// transaction and releasing its locks. Used on reconnecting, for the session the lost
    /// connection left behind.
    public func kill(connection id: UInt64) throws {
        try executeScript("KILL CONNECTION \(id)")
    }

    // MARK: Statements

    /// Runs one statement and returns the number of rows it changed.
    @discardableResult
    public func execute(_ sql: String, _ arguments: [any SQLValueConvertible] = []) throws -> Int {
        try run(sql, arguments).affectedRows
    }

    /// Runs an INSERT and returns the AUTO_INCREMENT id it generated.
    public func insert(_ sql: String, _ arguments: [any SQLValueConvertible] = []) throws -> UInt64 {
        try run(sql, arguments).lastInsertID
    }

    /// Inserts `rows` into `table` (its name and columns: `orders (id, node_id, …)`), 500 rows a
    /// statement, each written as `placeholders` (`(?, ?, 'valid', ?)`); with `update`, an
    /// existing row gets `ON DUPLICATE KEY UPDATE update` instead. The rows changed, as MySQL
    /// counts them.
    @discardableResult
    public func insertRows(
        into table: String, _ placeholders: String, onDuplicate update: String? = nil,
        _ rows: [[any SQLValueConvertible]]
    ) throws -> Int {
        var changed = 0
        for start in stride(from: 0, to: rows.count, by: 500) {
            let chunk = rows[start..<min(start + 500, rows.count)]
            changed += try execute(
                "INSERT INTO \(table) VALUES "
                    + Array(repeating: placeholders, count: chunk.count).joined(separator: ", ")
                    + (update.map { " ON DUPLICATE KEY UPDATE \($0)" } ?? ""), chunk.flatMap { $0 })
        }
        return changed
    }

    /// All rows of a query.
    public func rows(_ sql: String, _ arguments: [any SQLValueConvertible] = []) throws -> [Row] {
        try run(sql, arguments).rows
    }

    /// The first row of a query, or nil.
    public func row(_ sql: String, _ arguments: [any SQLValueConvertible] = []) throws -> Row? {
        try rows(sql, arguments).first
    }

    /// The first column of the first row as `T`, or nil when there is no row or the value is NULL.
    public func scalar<T: SQLValueDecodable>(
        _ sql: String, _ arguments: [any SQLValueConvertible] = [],
        as type: T.Type = T.self
    ) throws -> T? {
        try row(sql, arguments).flatMap { row in row.values.first == .null ? nil : try row.get(0) }
    }

    /// Runs `;`-separated statements without arguments over the text protocol (schema scripts).
    /// A statement ends with `;` at the end of a line; `--` comment lines are skipped.
    public func executeScript(_ script: String) throws {
        try Self.execute(script: script, on: handle)
    }

    private static func execute(script: String, on handle: UnsafeMutablePointer<MYSQL>) throws {
        for statement in Self.statements(in: script) {
            let utf8 = Array(statement.utf8)
            let status = utf8.withUnsafeBufferPointer { buffer in
                buffer.withMemoryRebound(to: CChar.self) {
                    mysql_real_query(handle, $0.baseAddress, UInt(buffer.count))
                }
            }
            guard status == 0 else { throw Self.error(handle, sql: statement) }
            if let result = mysql_store_result(handle) { mysql_free_result(result) }
        }
    }

    /// Runs one statement over the text protocol and returns its rows as text (NULL as nil).
    private static func textRows(_ handle: UnsafeMutablePointer<MYSQL>, _ sql: String) throws -> [[String?]] {
        let utf8 = Array(sql.utf8)
        let status = utf8.withUnsafeBufferPointer { buffer in
            buffer.withMemoryRebound(to: CChar.self) { mysql_real_query(handle, $0.baseAddress, UInt(buffer.count)) }
        }
        guard status == 0 else { throw Self.error(handle, sql: sql) }
        guard let result = mysql_store_result(handle) else {
            if mysql_errno(handle) != 0 { throw Self.error(handle, sql: sql) }
            return []
        }
        defer { mysql_free_result(result) }
        let columns = Int(mysql_num_fields(result))
        var rows = [[String?]]()
        while let row = mysql_fetch_row(result) {
            rows.append((0..<columns).map { row[$0].map { String(cString: $0) } })
        }
        return rows
    }

    /// Splits a script into statements: each ends with `;` at the end of a line (or of the text).
    public static func statements(in script: String) -> [String] {
        var statements = [String]()
        var current = [Substring]()
        for line in script.split(separator: "\n", omittingEmptySubsequences: false) {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if current.isEmpty, trimmed.isEmpty || trimmed.hasPrefix("--") { continue }
            current.append(line)
            if trimmed.hasSuffix(";") {
                statements.append(
                    current.joined(separator: "\n").trimmingCharacters(in: .whitespacesAndNewlines).dropLast()
                        .description)
                current = []
            }
        }
        let rest = current.joined(separator: "\n").trimmingCharacters(in: .whitespacesAndNewlines)
        if !rest.isEmpty {
            statements += rest.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }.filter {
                !$0.isEmpty
            }
        }
        return statements
    }

    private func run(_ sql: String, _ arguments: [any SQLValueConvertible]) throws -> (
        rows: [Row], affectedRows: Int, lastInsertID: UInt64
    ) {
        let statement: PreparedStatement
        if let cached = statements[sql] {
            statement = cached
        } else {
            if statements.count >= Self.maxCachedStatements { statements.removeAll() }
            statement = try PreparedStatement(connection: handle, sql: sql)
            statements[sql] = statement
        }
        return try statement.run(arguments.map(\.sqlValue))
    }

    // MARK: Transactions

    /// Runs `body` in a transaction: commits when it returns, rolls back and rethrows the first
    /// error when it throws. A COMMIT refused by a server that became read-only meanwhile
    /// (error 1290) throws like any other error: nothing was committed. Transactions do not nest
    /// (MySQL's START TRANSACTION would commit the outer one): an inner one is refused.
    ///
    /// All or nothing even when the server rolls the transaction back without saying so (a Galera
    /// member does when it aborts the transaction for a conflicting write from another member
    /// while it answers a PREPARE): autocommit is off until the end, so what runs after such a
    /// rollback stays uncommitted, and before COMMIT the savepoint set at the start must still
    /// exist. When it does not, everything is rolled back and the error is a deadlock (1213),
    /// which callers retry like any brute-force abort.
    @discardableResult
    public func transaction<T>(_ body: () throws -> T) throws -> T {
        guard !inTransaction else {
            throw MySQLError(
                code: 0, message: "transactions do not nest: START TRANSACTION would commit the one already open",
                sql: "START TRANSACTION")
        }
        try executeScript("SET autocommit = 0")
        inTransaction = true
        defer { inTransaction = false }
        let result: T
        do {
            try executeScript("START TRANSACTION")
            try executeScript("SAVEPOINT \(Self.begun)")
            result = try body()
            try confirmTransactionBegun()
            try executeScript("COMMIT")
        } catch {
            _ = try? executeScript("ROLLBACK")
            _ = try? executeScript("SET autocommit = 1")
            throw error
        }
        try executeScript("SET autocommit = 1")
        return result
    }

    /// The savepoint ``transaction(_:)`` sets first: it exists only in the transaction it began.
    private static let begun = "transaction_begun"

    /// Throws a deadlock (1213) unless the transaction open is the one ``transaction(_:)`` began.
    private func confirmTransactionBegun() throws {
        do {
            try executeScript("RELEASE SAVEPOINT \(Self.begun)")
        } catch let error as MySQLError where error.code == 1305 {
            throw MySQLError(
                code: 1213, sqlState: "40001",
                message: "the server rolled the transaction back without reporting it (a cluster member's "
                    + "brute-force abort): none of it is committed; retry", sql: error.sql)
        }
    }

    /// True inside ``transaction(_:)``.
    private var inTransaction = false

    /// Runs `body` inside a savepoint of the current transaction; on a throw only its own work
    /// is undone and the error rethrown.
    @discardableResult
    public func savepoint<T>(_ body: () throws -> T) throws -> T {
        try executeScript("SAVEPOINT record")
        do {
            let result = try body()
            try executeScript("RELEASE SAVEPOINT record")
            return result
        } catch {
            _ = try? executeScript("ROLLBACK TO SAVEPOINT record")
            throw error
        }
    }

    static func error(_ handle: UnsafeMutablePointer<MYSQL>, sql: String?) -> MySQLError {
        MySQLError(
            code: mysql_errno(handle), sqlState: String(cString: mysql_sqlstate(handle)),
            message: String(cString: mysql_error(handle)), sql: sql)
    }
}

@available(*, unavailable, message: "a connection is used from one thread at a time; open one per thread")
extension MySQLConnection: Sendable {}
