import Foundation
import TestSupport
import Testing

@testable import MySQLClient

@Suite struct MySQLCursorTests {
    let sandbox = MariaDBSandbox.shared

    private func connect() throws -> MySQLConnection {
        try MySQLConnection(MySQLConfiguration(url: sandbox.freshDatabase(), environment: sandbox.environment))
    }

    @Test func readsEveryRowInOrderAsTheServerSendsIt() throws {
        let db = try connect()
        try db.executeScript(
            """
            CREATE TABLE t (id INT PRIMARY KEY, name VARCHAR(20), amount DECIMAL(12,2), note TEXT) ENGINE=InnoDB;
            INSERT INTO t SELECT seq, CONCAT('row ', seq), seq / 4, IF(seq % 2 = 0, NULL, 'odd') FROM seq_1_to_5000;
            """)
        let cursor = try db.cursor("SELECT id, name, amount, note FROM t WHERE id > ? ORDER BY id", [10])
        var expected = 11
        while let row = try cursor.next() {
            #expect(try row.get("id") == expected)
            #expect(try row.get("name") == "row \(expected)")
            #expect(try row.get("amount") == Double(expected) / 4)
            #expect(try row.get("note", as: String?.self) == (expected % 2 == 0 ? nil : "odd"))
            expected += 1
        }
        #expect(expected == 5001)
        #expect(try cursor.next() == nil)
        #expect(try db.scalar("SELECT COUNT(*) FROM t") == 5000)
    }

    @Test func aValueLongerThanItsFirstBufferIsReadWhole() throws {
        let db = try connect()
        try db.executeScript("CREATE TABLE t (id INT PRIMARY KEY, body LONGTEXT, raw LONGBLOB) ENGINE=InnoDB")
        let long = String(repeating: "é'x", count: 100_000)
        let bytes = [UInt8]((0..<300_000).map { UInt8($0 % 256) })
        try db.execute("INSERT INTO t VALUES (1, ?, ?), (2, 'short', x'00')", [long, bytes])
        let cursor = try db.cursor("SELECT body, raw FROM t ORDER BY id")
        let first = try #require(try cursor.next())
        #expect(try first.get("body") == long)
        #expect(try first.get("raw") == bytes)
        let second = try #require(try cursor.next())
        #expect(try second.get("body") == "short")
        #expect(try second.get("raw") == [UInt8]([0]))
        #expect(try cursor.next() == nil)
    }

    @Test func theConnectionRunsNothingElseUntilTheCursorEnds() throws {
        let db = try connect()
        try db.executeScript(
            "CREATE TABLE t (id INT PRIMARY KEY) ENGINE=InnoDB; INSERT INTO t SELECT seq FROM seq_1_to_100000")
        let cursor = try db.cursor("SELECT id FROM t ORDER BY id")
        _ = try cursor.next()
        do {
            _ = try db.scalar("SELECT 1", as: Int.self)
            Issue.record("expected the open cursor to refuse another statement")
        } catch let error as MySQLError {
            #expect(error.description.contains("cursor"))
        }
        #expect(throws: MySQLError.self) { try db.executeScript("SELECT 1") }
        #expect(throws: MySQLError.self) { try db.cursor("SELECT 1") }
        cursor.close()  // the rows not read are discarded
        #expect(try db.scalar("SELECT COUNT(*) FROM t") == 100_000)
        do {
            let abandoned = try db.cursor("SELECT id FROM t ORDER BY id")
            _ = try abandoned.next()
        }
        #expect(try db.scalar("SELECT MAX(id) FROM t") == 100_000)
    }

    @Test func aBadQueryThrowsAndLeavesTheConnectionUsable() throws {
        let db = try connect()
        #expect(throws: MySQLError.self) { try db.cursor("SELECT nothing FROM nowhere") }
        #expect(throws: MySQLError.self) { try db.cursor("SELECT ?", []) }
        #expect(try db.scalar("SELECT 2") == 2)
    }
}
