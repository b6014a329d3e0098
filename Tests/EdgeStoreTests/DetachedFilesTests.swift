import Foundation
import Synchronization
import TestSupport
import Testing

@testable import EdgeStore

#if canImport(Glibc)
    import Glibc
#endif

/// Files of a database deleted or replaced under an open connection: the connection sees it
/// through SQLite's own descriptors (never a descriptor of its own), and refuses to commit there,
/// where no other connection would read what it wrote. Serialized: ``DetachedCommits`` is one
/// per process.
@Suite(.serialized) struct DetachedFilesTests {
    let directory = TemporaryDirectory()

    /// A database with one row in table `t`, its WAL checkpointed into the file.
    func database(_ name: String) throws -> (Database, String) {
        let path = directory.file(name)
        let db = try Database(path: path)
        try db.execute("CREATE TABLE t (id INTEGER PRIMARY KEY)")
        try db.execute("INSERT INTO t DEFAULT VALUES")
        _ = try db.rows("PRAGMA wal_checkpoint(TRUNCATE)")
        return (db, path)
    }

    /// The files reported to ``DetachedCommits`` for the database at `path` while `body` runs.
    func reported(for path: String, _ body: () throws -> Void) rethrows -> [String] {
        let reports = Mutex<[String]>([])
        DetachedCommits.notify { database, files in
            guard database.hasSuffix("/" + (path as NSString).lastPathComponent) else { return }
            reports.withLock { $0 += files.map(\.description) }
        }
        defer { DetachedCommits.notify(nil) }
        try body()
        return reports.withLock { $0 }
    }

    static func isDetached(_ error: any Error) -> Bool { (error as? StoreError)?.isDetached == true }

    /// The WAL deleted under the connection: a write transaction and a statement on its own are
    /// refused as they commit, with an error that names the file, and nothing of them is found
    /// once the database is opened again.
    @Test func aCommitIntoADeletedWALIsRefused() throws {
        let (db, path) = try database("wal.sqlite")
        #expect(db.detachedFiles().isEmpty)
        #expect(unlink(path + "-wal") == 0)
        let reports = try reported(for: path) {
            #expect(db.detachedFiles().map(\.description) == ["\(db.filename)-wal was deleted while open"])
            #expect(throws: StoreError.self) {
                try db.write { try db.execute("INSERT INTO t DEFAULT VALUES") }
            }
            let error = #expect(throws: StoreError.self) { try db.execute("INSERT INTO t DEFAULT VALUES") }
            #expect(error?.isDetached == true, "\(String(describing: error))")
            #expect(error?.message.contains("-wal was deleted while open: nothing was written") == true)
            #expect(db.isInTransaction == false)
        }
        #expect(reports == Array(repeating: "\(db.filename)-wal was deleted while open", count: 2))
        withExtendedLifetime(db) {}
        let reopened = try Database(path: path)
        #expect(try reopened.scalar("SELECT count(*) FROM t") == 1)
    }

    /// The `-shm` deleted under the connection, and a new one made by another process: every
    /// connection of this process to the database (one opened since shares the deleted one) is
    /// refused at commit, while the other process's commits stand.
    @Test func aCommitBesideADeletedSharedMemoryIsRefused() throws {
        let (db, path) = try database("shm.sqlite")
        #expect(unlink(path + "-shm") == 0)
        let reports = try reported(for: path) {
            #expect(db.detachedFiles().map(\.description) == ["\(db.filename)-shm was deleted while open"])
            let error = #expect(throws: StoreError.self) {
                try db.write { try db.execute("INSERT INTO t DEFAULT VALUES") }
            }
            #expect(error?.isDetached == true)
            let second = try Database(path: path)
            #expect(second.detachedFiles().map(\.description) == ["\(db.filename)-shm was deleted while open"])
            #expect(throws: StoreError.self) { try second.execute("INSERT INTO t DEFAULT VALUES") }
            let other = try ProcessRunner.run("/usr/bin/sqlite3", [path, "INSERT INTO t DEFAULT VALUES"])
            #expect(other.status == 0, "\(other.stderr)")
            #expect(throws: StoreError.self) { try db.execute("INSERT INTO t DEFAULT VALUES") }
        }
        #expect(reports.count == 3)
        let count = try ProcessRunner.run("/usr/bin/sqlite3", [path, "SELECT count(*) FROM t"])
        #expect(count.stdout == "2\n", "\(count.stderr)")
    }

    /// The database file replaced by a copy moved over it (the file the connection has open
    /// keeps no name): refused at commit, the copy left as it was.
    @Test func aCommitIntoAReplacedDatabaseIsRefused() throws {
        let (db, path) = try database("replaced.sqlite")
        let copy = directory.file("copy.sqlite")
        try Database(path: path).backup(to: copy)
        #expect(rename(copy, path) == 0)
        let error = #expect(throws: StoreError.self) { try db.execute("INSERT INTO t DEFAULT VALUES") }
        #expect(
            error?.message.contains("\(db.filename) was deleted while open") == true, "\(String(describing: error))")
        let count = try ProcessRunner.run("/usr/bin/sqlite3", [path, "SELECT count(*) FROM t"])
        #expect(count.stdout == "1\n", "\(count.stderr)")
    }

    /// The database file moved aside, then another put in its place: the file the connection has
    /// open keeps a name, so a commit (which looks at link counts only) goes on into it, but
    /// ``Database/detachedFiles()``, which a long-running process asks between writes, finds both.
    @Test func aDatabaseMovedAsideOrReplacedIsFoundBetweenWrites() throws {
        let (db, path) = try database("moved.sqlite")
        let copy = directory.file("copy.sqlite")
        try Database(path: path).backup(to: copy)
        #expect(rename(path, directory.file("aside.sqlite")) == 0)
        #expect(db.detachedFiles().map(\.description) == ["\(db.filename) was renamed or moved away while open"])
        #expect(rename(copy, path) == 0)
        #expect(db.detachedFiles().map(\.description) == ["\(db.filename) was replaced by another file while open"])
    }

    /// Nothing detached: commits go on, none reported; a read-only connection has no `-shm` of
    /// its own to look at before it reads, and then the one its process shares.
    @Test func nothingIsReportedWhileTheFilesStay() throws {
        let (db, path) = try database("kept.sqlite")
        let reports = try reported(for: path) {
            for _ in 0..<3 { try db.write { try db.execute("INSERT INTO t DEFAULT VALUES") } }
        }
        #expect(reports.isEmpty)
        #expect(db.detachedFiles().isEmpty)
        var options = Database.Options()
        options.readOnly = true
        let reader = try Database(path: path, options: options)
        #expect(try reader.scalar("SELECT count(*) FROM t") == 4)
        #expect(reader.detachedFiles().isEmpty)
    }
}
