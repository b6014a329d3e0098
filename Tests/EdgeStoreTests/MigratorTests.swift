import EdgeStore
import TestSupport
import Testing

@Suite struct MigratorTests {
    let directory = TemporaryDirectory()
    let v1 = Migration("1_parent", sql: "CREATE TABLE parent (id INTEGER PRIMARY KEY) STRICT;")
    let v2 = Migration(
        "2_child",
        sql: """
            CREATE TABLE child (id INTEGER PRIMARY KEY, parent_id INTEGER NOT NULL REFERENCES parent(id)) STRICT;
            """)

    @Test func appliesInOrderOnceAndRecordsTheVersion() throws {
        let db = try Database(path: directory.file("m.sqlite"))
        let migrator = Migrator([v1, v2])
        #expect(try migrator.migrate(db) == ["1_parent", "2_child"])
        #expect(try migrator.migrate(db) == [])
        let status = try migrator.status(db)
        #expect(status.applied == ["1_parent", "2_child"] && status.pending.isEmpty)
        #expect(try db.scalar("PRAGMA user_version") == 2)
    }

    @Test func statusListsPendingWithoutApplying() throws {
        let db = try Database(path: directory.file("m.sqlite"))
        try Migrator([v1]).migrate(db)
        let status = try Migrator([v1, v2]).status(db)
        #expect(status.version == 1 && status.pending == ["2_child"])
        #expect(try db.scalar("SELECT count(*) FROM sqlite_schema WHERE name = 'child'") == 0)
    }

    @Test func refusesAnEditedMigrationAndANewerDatabase() throws {
        let db = try Database(path: directory.file("m.sqlite"))
        try Migrator([v1, v2]).migrate(db)
        let edited = Migration("1_parent", sql: v1.sql + " -- edited")
        #expect(throws: StoreError.self) { try Migrator([edited, v2]).migrate(db) }
        #expect(throws: StoreError.self) { try Migrator([v1]).status(db) }
    }

    @Test func aFailingMigrationLeavesNothingBehind() throws {
        let db = try Database(path: directory.file("m.sqlite"))
        try Migrator([v1, v2]).migrate(db)
        let broken = Migration("3_broken", sql: "CREATE TABLE extra (x INTEGER); INSERT INTO nowhere VALUES (1);")
        #expect(throws: StoreError.self) { try Migrator([v1, v2, broken]).migrate(db) }
        #expect(try db.scalar("SELECT count(*) FROM sqlite_schema WHERE name = 'extra'") == 0)
        #expect(try Migrator([v1, v2]).status(db).version == 2)
    }

    @Test func aMigrationThatBreaksForeignKeysIsRolledBack() throws {
        let db = try Database(path: directory.file("m.sqlite"))
        try Migrator([v1, v2]).migrate(db)
        // foreign_keys enforcement is off for the duration, as a table rebuild would need.
        try db.execute("PRAGMA foreign_keys = OFF")
        let orphan = Migration("3_orphan", sql: "INSERT INTO child VALUES (1, 42);")
        #expect(throws: StoreError.self) { try Migrator([v1, v2, orphan]).migrate(db) }
        #expect(try db.scalar("SELECT count(*) FROM child") == 0)
    }
}

@Suite struct BackupTests {
    let directory = TemporaryDirectory()

    @Test func snapshotAndRestoreRoundTrip() throws {
        let db = try Database(path: directory.file("live.sqlite"))
        try db.execute("CREATE TABLE t (x INTEGER)")
        try db.execute("INSERT INTO t VALUES (1)")
        let snapshot = directory.file("snap.sqlite")
        try db.backup(to: snapshot)
        #expect(throws: StoreError.self) { try db.backup(to: snapshot) }
        try db.execute("INSERT INTO t VALUES (2)")
        let other = try Database(path: directory.file("live.sqlite"))
        try db.restore(from: snapshot)
        #expect(try other.scalar("SELECT count(*) FROM t") == 1)
        #expect(try db.scalar("SELECT count(*) FROM t") == 1)
    }
}
