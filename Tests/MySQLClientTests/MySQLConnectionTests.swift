import Foundation
import TestSupport
import Testing

@testable import MySQLClient

@Suite struct MySQLConnectionTests {
    let sandbox = MariaDBSandbox.shared

    private func connect(_ url: String? = nil) throws -> MySQLConnection {
        try MySQLConnection(MySQLConfiguration(url: url ?? sandbox.freshDatabase(), environment: sandbox.environment))
    }

    @Test func roundTripsValuesThroughBoundParameters() throws {
        let db = try connect()
        try db.executeScript(
            """
            CREATE TABLE t (i BIGINT, u BIGINT UNSIGNED, d DOUBLE, m DECIMAL(12,2), s TEXT, b VARBINARY(10),
                            n VARCHAR(5), at DATETIME(3)) ENGINE=InnoDB;
            """)
        let long = String(repeating: "é'\";--", count: 1000)
        try db.execute(
            "INSERT INTO t VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [Int64.min, 7, 2.5, "12.50", long, [UInt8]([0, 255]), String?.none, "2026-12-31 20:00:00.123"])
        let row = try #require(try db.row("SELECT * FROM t"))
        #expect(try row.get("i") == Int64.min)
        #expect(try row.get("u") == 7)
        #expect(try row.get("d") == 2.5)
        #expect(try row.get("m") == 12.5)
        #expect(try row.get("s") == long)
        #expect(try row.get("b") == [UInt8]([0, 255]))
        #expect(try row.get("n", as: String?.self) == nil)
        #expect(try row.get("at") == "2026-12-31 20:00:00.123")
        #expect(try db.scalar("SELECT SUM(i + 1 - i) FROM t") == 1)
        #expect(try db.rows("SELECT * FROM t WHERE s = ?", ["nothing"]).isEmpty)
    }

    @Test func typedErrorsForDuplicatesAndBadStatements() throws {
        let db = try connect()
        try db.executeScript("CREATE TABLE k (id VARCHAR(10) PRIMARY KEY)")
        try db.execute("INSERT INTO k VALUES (?)", ["a"])
        do {
            try db.execute("INSERT INTO k VALUES (?)", ["a"])
            Issue.record("expected a duplicate key")
        } catch let error as MySQLError {
            #expect(error.kind == .duplicateKey && error.code == 1062 && error.sqlState == "23000")
            #expect(!error.description.contains("'a'") || error.description.contains("Duplicate entry"))
        }
        #expect(throws: MySQLError.self) { try db.execute("INSERT INTO k VALUES (?)", []) }
        #expect(throws: MySQLError.self) { try db.execute("SELEKT 1") }
    }

    @Test func transactionsCommitOrRollBackAndSavepointsUndoTheirOwnWork() throws {
        struct Boom: Error {}
        let db = try connect()
        try db.executeScript("CREATE TABLE t (x INT) ENGINE=InnoDB")
        #expect(throws: Boom.self) {
            try db.transaction {
                try db.execute("INSERT INTO t VALUES (1)")
                throw Boom()
            }
        }
        try db.transaction {
            try db.execute("INSERT INTO t VALUES (2)")
            #expect(throws: Boom.self) {
                try db.savepoint {
                    try db.execute("INSERT INTO t VALUES (3)")
                    throw Boom()
                }
            }
        }
        #expect(try db.rows("SELECT x FROM t").map { try $0.get(0, as: Int.self) } == [2])
    }

    /// A transaction the server rolls back without saying so (a Galera member does, for a
    /// brute-force abort that lands while it answers a PREPARE) commits nothing of what follows:
    /// `transaction` throws a deadlock for its caller to retry. Autocommit is back on after each
    /// transaction, so a statement outside one commits on its own.
    @Test func aTransactionTheServerRolledBackSilentlyCommitsNothing() throws {
        let url = try sandbox.freshDatabase()
        let db = try connect(url)
        try db.executeScript("CREATE TABLE t (x INT) ENGINE=InnoDB")
        do {
            try db.transaction {
                try db.execute("INSERT INTO t VALUES (1)")
                try db.executeScript("ROLLBACK")  // as the server's own rollback, never reported
                try db.execute("INSERT INTO t VALUES (2)")
            }
            Issue.record("a transaction the server had rolled back committed")
        } catch let error as MySQLError {
            #expect(error.kind == .deadlock, "\(error)")
        }
        #expect(try db.scalar("SELECT COUNT(*) FROM t", as: Int.self) == 0)
        #expect(try db.scalar("SELECT @@autocommit", as: Int.self) == 1)
        try db.transaction { try db.execute("INSERT INTO t VALUES (3)") }
        #expect(try db.scalar("SELECT @@autocommit", as: Int.self) == 1)
        try db.execute("INSERT INTO t VALUES (4)")
        #expect(try connect(url).rows("SELECT x FROM t ORDER BY x").map { try $0.get(0, as: Int.self) } == [3, 4])
    }

    @Test func nestedTransactionsAndOutOfRangeValuesAreRefused() throws {
        let db = try connect()
        try db.executeScript("CREATE TABLE t (x INT) ENGINE=InnoDB")
        #expect(throws: MySQLError.self) {
            try db.transaction {
                try db.execute("INSERT INTO t VALUES (1)")
                try db.transaction { try db.execute("INSERT INTO t VALUES (2)") }
            }
        }
        #expect(
            try db.scalar("SELECT COUNT(*) FROM t") == 0,
            "the outer transaction rolled back whole; nothing committed half-way")
        #expect(throws: MySQLError.self) {
            try db.scalar("SELECT CAST(18446744073709551615 AS UNSIGNED)", as: Int64.self)
        }
        #expect(try db.scalar("SELECT CAST(9223372036854775807 AS UNSIGNED)", as: Int64.self) == Int64.max)
    }

    @Test func connectionFailuresAreTyped() throws {
        let wrong = ["CENTRAL_PASSWORD": "wrong"]
        do {
            _ = try MySQLConnection(MySQLConfiguration(url: sandbox.url, environment: wrong))
            Issue.record("expected access denied")
        } catch let error as MySQLError {
            #expect(error.kind == .accessDenied)
        }
        do {
            _ = try MySQLConnection(
                MySQLConfiguration(url: "mysql://venue_app@127.0.0.1:1/central?connect_timeout=2", environment: [:]))
            Issue.record("expected cannot connect")
        } catch let error as MySQLError {
            #expect(error.kind == .cannotConnect && !error.isDataError && error.breaksConnection)
        }
    }

    @Test func readOnlyServersRefuseWritesWith1290EvenAtCommit() throws {
        let server = try MariaDBSandbox.makePrivate()
        let db = try MySQLConnection(MySQLConfiguration(url: server.url, environment: server.environment))
        try db.executeScript("CREATE TABLE t (x INT) ENGINE=InnoDB")
        try server.sql("SET GLOBAL read_only = ON")
        do {
            try db.execute("INSERT INTO t VALUES (1)")
            Issue.record("expected read-only")
        } catch let error as MySQLError {
            #expect(error.kind == .readOnly && error.code == 1290)
        }
        try server.sql("SET GLOBAL read_only = OFF")
        try db.execute("INSERT INTO t VALUES (1)")
        try server.stop()
        do {
            _ = try db.rows("SELECT * FROM t")
            Issue.record("expected a lost connection")
        } catch let error as MySQLError {
            #expect(error.breaksConnection, "\(error)")
        }
    }
}

@Suite struct MySQLConfigurationTests {
    @Test func parsesURLsAndTakesThePasswordFromTheEnvironmentOnly() throws {
        let configuration = try MySQLConfiguration(
            url: "mysql://app@db.example:3307/central?tls=required&read_timeout=9",
            environment: ["CENTRAL_PASSWORD": "s3cret"])
        #expect(configuration.host == "db.example" && configuration.port == 3307 && configuration.database == "central")
        #expect(configuration.tls == .required && configuration.readTimeout == 9 && configuration.password == "s3cret")
        #expect(!configuration.description.contains("s3cret"))
        let directory = TemporaryDirectory()
        try "from-file\n".write(toFile: directory.file("pw"), atomically: true, encoding: .utf8)
        chmod(directory.file("pw"), 0o600)
        #expect(
            try MySQLConfiguration(url: "mysql://app@h/c", environment: ["CENTRAL_PASSWORD_FILE": directory.file("pw")])
                .password == "from-file")
    }

    @Test(arguments: [
        "postgres://a@h/c", "mysql://a:pw@h/c", "mysql://h/c", "mysql://a@h/", "mysql://a@h/c?tls=maybe",
        "mysql://a@h/c?colour=red", "mysql://a@h/c?read_timeout=0", "mysql://a@h/drop;table",
    ])
    func badURLsAreRefused(url: String) {
        #expect(throws: MySQLError.self) { try MySQLConfiguration(url: url, environment: [:]) }
    }

    @Test func scriptsSplitOnSemicolonsAtLineEnds() {
        #expect(
            MySQLConnection.statements(in: "-- c\nCREATE TABLE a (x INT);\n\nINSERT INTO a VALUES (1);\nSELECT 1") == [
                "CREATE TABLE a (x INT)", "INSERT INTO a VALUES (1)", "SELECT 1",
            ])
    }
}

@Suite struct MySQLErrorTests {
    /// Only a data error parks a record; every other error is operational and retried, the
    /// privilege, space, timeout and killed-query errors included.
    @Test(arguments: [
        (1290 as UInt32, "HY000", MySQLError.Kind.readOnly, false), (1836, "HY000", .readOnly, false),
        (1062, "23000", .duplicateKey, true), (1213, "40001", .deadlock, false), (3101, "HY000", .deadlock, false),
        (1205, "HY000", .lockWaitTimeout, false),
        (2006, "HY000", .connectionLost, false), (2013, "HY000", .connectionLost, false),
        (1927, "70100", .connectionLost, false),
        (2002, "HY000", .cannotConnect, false), (2003, "HY000", .cannotConnect, false),
        (1045, "28000", .accessDenied, false), (1047, "08S01", .memberUnavailable, false),
        (1142, "42000", .privileges, false), (1044, "42000", .privileges, false), (1114, "HY000", .resources, false),
        (1021, "HY000", .resources, false), (1969, "70100", .interrupted, false), (1317, "70100", .interrupted, false),
        (1146, "42S02", .schema, false), (1054, "42S22", .schema, false), (1406, "22001", .data, true),
        (1264, "22003", .data, true), (1292, "22007", .data, true), (1366, "HY000", .data, true),
        (1048, "23000", .data, true),
        (4025, "23000", .data, true), (1064, "42000", .other, false),
    ])
    func codesMapToTheCasesCallersActOn(code: UInt32, sqlState: String, kind: MySQLError.Kind, isData: Bool) {
        let error = MySQLError(code: code, sqlState: sqlState, message: "m")
        #expect(error.kind == kind)
        #expect(error.isDataError == isData)
    }

    /// A Galera member cut off while a transaction commits answers 1180 naming the primary
    /// component: the client moves to another member as for 1047. Another 1180 stays `other`.
    @Test func aCommitOutsideThePrimaryComponentMeansTheMemberLeft() {
        let cutOff = MySQLError(
            code: 1180,
            message: "Error while appending streaming replication fragment"
                + "(provider status: Not connected to Primary Component)")
        #expect(cutOff.kind == .memberUnavailable && cutOff.breaksConnection)
        #expect(MySQLError(code: 1180, message: "Got error 28 during COMMIT").kind == .other)
    }

    /// The same errors, raised by a real server.
    @Test func theServerRaisesThemAsClassified() throws {
        let sandbox = MariaDBSandbox.shared
        let url = try sandbox.freshDatabase()
        let db = try MySQLConnection(MySQLConfiguration(url: url, environment: sandbox.environment))
        try db.executeScript("CREATE TABLE t (s VARCHAR(3), d DATETIME(3)) ENGINE=InnoDB")
        func kind(_ body: () throws -> Void) -> MySQLError.Kind? {
            do {
                try body()
                return nil
            } catch {
                return (error as? MySQLError)?.kind
            }
        }
        #expect(kind { try db.execute("INSERT INTO t (s) VALUES (?)", ["abcd"]) } == .data)
        #expect(kind { try db.execute("INSERT INTO t (s) VALUES (?)", ["e\u{301}e\u{301}"]) } == .data)
        #expect(kind { try db.execute("INSERT INTO t (d) VALUES (?)", ["99999-01-01 00:00:00"]) } == .data)
        #expect(kind { try db.execute("SELECT * FROM missing_table") } == .schema)
        #expect(
            kind {
                _ = try db.rows(
                    "SET STATEMENT max_statement_time = 0.01 FOR SELECT COUNT(*) FROM seq_1_to_100000 a, seq_1_to_100000 b WHERE a.seq + b.seq = 3"
                )
            } == .interrupted)
        let database = String(try #require(URLComponents(string: url)).path.dropFirst())
        let limited = "limited_\(UUID().uuidString.prefix(6).lowercased())"
        try sandbox.sql(
            "CREATE USER '\(limited)'@'localhost' IDENTIFIED BY 'limited-pw'; GRANT SELECT ON \(database).* TO '\(limited)'@'localhost'"
        )
        defer { try? sandbox.sql("DROP USER '\(limited)'@'localhost'") }
        let reader = try MySQLConnection(
            MySQLConfiguration(
                url: url.replacingOccurrences(of: "venue_app@", with: "\(limited)@"),
                environment: ["CENTRAL_PASSWORD": "limited-pw"]))
        #expect(kind { try reader.execute("INSERT INTO t (s) VALUES ('a')") } == .privileges)
    }

    /// A session waits for a row lock no longer than `lock_wait_timeout`, and a transaction
    /// whose client went silent is ended by the server after `idle_transaction_timeout`.
    @Test func sessionsAreBounded() throws {
        let sandbox = MariaDBSandbox.shared
        let database = try sandbox.freshDatabase()
        let url = database + "&lock_wait_timeout=1&idle_transaction_timeout=2"
        let byDefault = try MySQLConfiguration(url: database, environment: sandbox.environment).lockWaitTimeout
        let first = try MySQLConnection(MySQLConfiguration(url: url, environment: sandbox.environment))
        let second = try MySQLConnection(MySQLConfiguration(url: url, environment: sandbox.environment))
        try first.executeScript("CREATE TABLE r (id INT PRIMARY KEY, v INT) ENGINE=InnoDB; INSERT INTO r VALUES (1, 0)")
        let firstID: Int64 = try #require(try first.scalar("SELECT CONNECTION_ID()"))
        try first.executeScript("START TRANSACTION; UPDATE r SET v = 1 WHERE id = 1")
        let started = ContinuousClock.now
        do {
            try second.execute("UPDATE r SET v = 2 WHERE id = 1")
            Issue.record("expected a lock wait timeout")
        } catch let error as MySQLError {
            // The URL's lock_wait_timeout, not the default's.
            let waited = ContinuousClock.now - started
            #expect(error.kind == .lockWaitTimeout && waited < .seconds(byDefault))
        }
        // The server ends the silent transaction's session, and with it the row lock.
        let ended = try waitUntil(timeout: 30) {
            try second.scalar("SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE ID = ?", [firstID]) == 0
        }
        #expect(ended != nil, "the server kept the silent transaction")
        try second.execute("UPDATE r SET v = 2 WHERE id = 1")
        #expect(throws: MySQLError.self) { try first.executeScript("COMMIT") }
        #expect(try second.scalar("SELECT v FROM r WHERE id = 1") == 2)
    }
}
