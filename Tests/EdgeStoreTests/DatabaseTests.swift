import Foundation
import TestSupport
import Testing

@testable import EdgeStore

@Suite struct DatabaseTests {
    let directory = TemporaryDirectory()

    /// NORMAL: commits left to the checkpoints' flushes, for tests that commit thousands of times.
    static let unflushed = {
        var options = Database.Options()
        options.synchronous = .normal
        return options
    }()

    /// WAL and foreign keys. SQLite's own `synchronous` is NORMAL either way: with FULL (the
    /// default) the connection flushes each commit itself, after the writer's turn; what reaches
    /// the disk when is tested on the real executables (`DurabilityTests`, `FlushBeforePushTests`).
    @Test func opensInWALWithForeignKeys() throws {
        let db = try Database(path: directory.file("a.sqlite"))
        #expect(try db.scalar("PRAGMA journal_mode") == "wal")
        #expect(try db.scalar("PRAGMA foreign_keys") == 1)
        #expect(try db.scalar("PRAGMA synchronous") == 1)
    }

    /// A database this module creates has 2 KiB pages; one that exists keeps its own, and
    /// `changePageSize` rewrites it when nothing else has it open.
    @Test func newDatabasesHaveTwoKiBPagesAndOldOnesKeepTheirs() throws {
        #expect(try Database(path: directory.file("new.sqlite")).pageSize() == 2048)
        var options = Database.Options()
        options.pageSize = 4096
        let path = directory.file("old.sqlite")
        do {
            let old = try Database(path: path, options: options)
            try old.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, b TEXT)")
            try old.execute("INSERT INTO t (b) VALUES ('kept')")
        }
        let reopened = try Database(path: path)
        #expect(try reopened.pageSize() == 4096)
        do {
            let other = try Database(path: path)
            #expect(throws: StoreError.self, "another connection has it open") {
                try reopened.changePageSize(to: 2048)
            }
            #expect(try other.scalar("PRAGMA journal_mode") == "wal")
        }
        try reopened.changePageSize(to: 2048)
        #expect(try reopened.pageSize() == 2048)
        #expect(try reopened.scalar("PRAGMA journal_mode") == "wal")
        #expect(try reopened.scalar("SELECT b FROM t") == "kept")
    }

    /// Checkpoints come every `checkpointPages` pages of WAL, not SQLite's 1,000 (sales write
    /// fewer pages in all), and keep the WAL file from growing past about that size.
    @Test func theWALIsCheckpointedPastItsBoundAndStaysNearIt() throws {
        let options = Self.unflushed
        let path = directory.file("a.sqlite")
        let db = try Database(path: path, options: options)
        try db.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, b BLOB)")
        let pageSize = try db.pageSize()
        func walPages() throws -> Int {  // frames: a page and its 24-byte header
            ((try FileManager.default.attributesOfItem(atPath: path + "-wal")[.size] as? Int) ?? 0) / (pageSize + 24)
        }
        let page = [UInt8](repeating: 7, count: pageSize * 3 / 4)
        var largest = 0
        for index in 0..<(Database.checkpointPages + 2000) {  // one page of row (and the root) per commit
            try db.write { try db.execute("INSERT INTO t (id, b) VALUES (?, ?)", [index, page]) }
            if index == 1500 { #expect(try walPages() > 1500, "no checkpoint at SQLite's 1,000 pages") }
            largest = max(largest, try walPages())
        }
        #expect(largest >= Database.checkpointPages && largest < Database.checkpointPages + 50, "\(largest) pages")
        #expect(try walPages() == largest, "the file is reused after a checkpoint, not grown")
    }

    /// The checkpoint a commit sets off runs after that writer's turn is given back: the next
    /// writer, queued meanwhile, has its turn while the pages are copied instead of waiting
    /// behind them (16 processes selling: a queue of fifteen stalled for each checkpoint).
    @Test func theNextWriterDoesNotWaitForTheCheckpoint() throws {
        let options = Self.unflushed
        let path = directory.file("a.sqlite")
        let first = try Database(path: path, options: options)
        try first.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, b BLOB)")
        let second = ConnectionBox(try Database(path: path, options: options))
        let queue = try #require(WriterTurnstile(databasePath: path))
        let events = EventList()
        let finished = DispatchSemaphore(value: 0)
        try first.write {
            // Enough pages for this commit to set off a checkpoint of them all.
            try first.execute(
                """
                WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?)
                INSERT INTO t (b) SELECT zeroblob(3000) FROM n
                """, [Database.checkpointPages])
            Thread {
                do {
                    try second.db.write {
                        events.append("second began")
                        try second.db.execute("INSERT INTO t (b) VALUES (x'00')")
                    }
                } catch {
                    events.append("second failed: \(error)")
                }
                finished.signal()
            }.start()
            #expect(queue.waitForWriters(1), "the second writer never queued")
        }
        events.append("first returned")
        finished.wait()
        // Whichever of the two checkpoints (the first to ask), the second's turn came before the
        // first returned; SQLite's checkpoint inside the first's COMMIT made it wait for the copy.
        #expect(events.all == ["second began", "first returned"])
        #expect(try first.scalar("SELECT count(*) FROM t") == Database.checkpointPages + 1)
    }

    /// A commit's WAL frames are held and written together (`CBatchedWAL`), and are all in the
    /// file when the commit returns, with no flush asked for (a process killed then loses none):
    /// a commit of a few pages, one many times larger than what is held at once whose pages also
    /// spilled to the WAL before its commit (a tiny page cache), and one written over the frames
    /// of a spilled transaction rolled back. Another connection reads each whole, and so does the
    /// next after both closed.
    @Test func everyCommitsFramesAreInTheFileWhenItReturns() throws {
        let path = directory.file("a.sqlite")
        let row = [UInt8](repeating: 9, count: 600)
        do {
            // NORMAL: no flush after the commit, which would write out what is held as well.
            let writer = try Database(path: path, options: Self.unflushed)
            let reader = try Database(path: path)
            try writer.execute("PRAGMA cache_size = 10")  // pages beyond ten spill to the WAL mid-transaction
            try writer.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, b BLOB)")
            try writer.execute("CREATE INDEX t_b ON t (b, id)")
            func insert(_ count: Int) throws {
                try writer.execute(
                    """
                    WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?)
                    INSERT INTO t (b) SELECT ? FROM n
                    """, [count, row])
            }
            try writer.write { try insert(3) }  // a few pages, all held until the commit frame's
            #expect(try rowsOnFile(path) == 3)
            try writer.write { try insert(1000) }  // about 600 pages: many times what is held
            #expect(try rowsOnFile(path) == 1003)
            #expect(try reader.scalar("SELECT count(*) FROM t") == 1003)
            #expect(throws: StoreError.self) {
                try writer.write {
                    try insert(500)
                    #expect(try writer.scalar("SELECT count(*) FROM t") == 1503)  // read back from the WAL
                    throw StoreError(code: .error, message: "given up")
                }
            }
            try writer.write { try insert(3) }  // over the frames the rolled-back transaction spilled
            #expect(try rowsOnFile(path) == 1006)
            #expect(try reader.scalar("SELECT count(*) FROM t") == 1006)
            #expect(try reader.scalar("SELECT sum(length(b)) FROM t") == 1006 * row.count)
            #expect(try reader.scalar("PRAGMA integrity_check") == "ok")
        }
        let again = try Database(path: path)
        #expect(try again.scalar("SELECT count(*) FROM t") == 1006)
        #expect(try again.scalar("PRAGMA integrity_check") == "ok")
    }

    /// Rows of `t` in what the files of the database at `path` hold now, as the next process would
    /// find them if every process had been killed: a copy of the database and its WAL without the
    /// WAL index, which SQLite rebuilds from the WAL's frames, checking each frame's checksum.
    private func rowsOnFile(_ path: String) throws -> Int? {
        let copy = directory.file("copy-\(UUID().uuidString).sqlite")
        try FileManager.default.copyItem(atPath: path, toPath: copy)
        try FileManager.default.copyItem(atPath: path + "-wal", toPath: copy + "-wal")
        return try Database(path: copy).scalar("SELECT count(*) FROM t")
    }

    /// Closing does not checkpoint: the next process appends to the same WAL instead of creating,
    /// flushing and deleting one of its own (three flushes a short-lived process need not make).
    @Test func closingLeavesTheWALForTheNextConnection() throws {
        let path = directory.file("a.sqlite")
        do {
            let db = try Database(path: path)
            try db.execute("CREATE TABLE t (id INTEGER PRIMARY KEY)")
            try db.write { try db.execute("INSERT INTO t (id) VALUES (1)") }
        }
        #expect(try walBytes(path) > 0, "the WAL was checkpointed and removed at close")
        let again = try Database(path: path)
        #expect(try again.scalar("SELECT count(*) FROM t") == 1)
    }

    /// A WAL past ``Database/closeCheckpointFrames`` is checkpointed and truncated at close, so
    /// the next process to open the database reads little of it back.
    @Test func closingCheckpointsAWALPastItsCloseBound() throws {
        let path = directory.file("a.sqlite")
        do {
            let db = try Database(path: path)
            try db.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, b BLOB)")
            for index in 0...Database.closeCheckpointFrames {
                try db.write { try db.execute("INSERT INTO t (id, b) VALUES (?, zeroblob(3000))", [index]) }
            }
        }
        #expect(try walBytes(path) == 0)
        let again = try Database(path: path)
        #expect(try again.scalar("SELECT count(*) FROM t") == Database.closeCheckpointFrames + 1)
    }

    /// That checkpoint never waits: with another connection reading, close returns at once and
    /// leaves the WAL to a later close.
    @Test func closingDoesNotWaitForAReader() throws {
        let path = directory.file("a.sqlite")
        let reader = try Database(path: path)
        var writer: Database? = try Database(path: path)
        try writer?.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, b BLOB)")
        for index in 0...Database.closeCheckpointFrames {
            try writer?.write { try writer?.execute("INSERT INTO t (id, b) VALUES (?, zeroblob(3000))", [index]) }
        }
        try reader.read { () throws -> Void in
            #expect(try reader.scalar("SELECT count(*) FROM t") == Database.closeCheckpointFrames + 1)
            let started = ContinuousClock.now
            writer = nil
            #expect(ContinuousClock.now - started < .seconds(5), "close waited on the reader")
        }
        #expect(try walBytes(path) > 0)
    }

    private func walBytes(_ path: String) throws -> Int {
        try FileManager.default.attributesOfItem(atPath: path + "-wal")[.size] as? Int ?? 0
    }

    @Test func refusesToCreateWhenToldNot() throws {
        var options = Database.Options()
        options.createIfMissing = false
        #expect(throws: StoreError.self) { try Database(path: directory.file("missing.sqlite"), options: options) }
        #expect(!FileManager.default.fileExists(atPath: directory.file("missing.sqlite")))
    }

    @Test func roundTripsEveryStorageClassThroughBoundParameters() throws {
        let db = try Database(path: directory.file("a.sqlite"))
        try db.execute("CREATE TABLE t (i INTEGER, r REAL, s TEXT, b BLOB, n TEXT)")
        let long = String(repeating: "é'; DROP TABLE t; --", count: 600)
        try db.execute(
            "INSERT INTO t VALUES (?, ?, ?, ?, ?)", [Int64.max, 2.5, long, [UInt8]([0, 1, 255]), String?.none])
        try db.execute("INSERT INTO t (s) VALUES (?)", [""])
        #expect(try db.scalar("SELECT typeof(s) FROM t WHERE i IS NULL") == "text", "an empty string is text, not NULL")
        try db.execute("DELETE FROM t WHERE i IS NULL")
        let row = try #require(try db.row("SELECT * FROM t"))
        #expect(try row.get("i") == Int64.max)
        #expect(try row.get("r") == 2.5)
        #expect(try row.get("s") == long)
        #expect(try row.get("b") == [UInt8]([0, 1, 255]))
        #expect(try row.get("n", as: String?.self) == nil)
        #expect(throws: RowError.self) { try row.get("n", as: String.self) }
        #expect(throws: RowError.self) { try row.get("s", as: Int.self) }
        #expect(throws: RowError.self) { try row.get("nope", as: Int.self) }
        #expect(try db.scalar("SELECT count(*) FROM t") == 1)
    }

    /// `forEachInteger` reads the first column as integers, stops when told, and refuses a value
    /// that is not one rather than reading it as 0.
    @Test func anIntegerScanStopsWhenToldAndRefusesOtherValues() throws {
        let db = try Database(path: directory.file("a.sqlite"))
        try db.execute("CREATE TABLE t (n INTEGER)")
        try db.execute("INSERT INTO t (n) VALUES (3), (1), (2), (NULL)")
        var seen = [Int64]()
        try db.forEachInteger("SELECT n FROM t WHERE n IS NOT NULL ORDER BY n") { value in
            seen.append(value)
            return value < 2
        }
        #expect(seen == [1, 2])
        let error = try #require(throws: StoreError.self) {
            try db.forEachInteger("SELECT n FROM t ORDER BY n") { _ in true }  // NULL sorts first
        }
        #expect(error.code == .mismatch)
    }

    @Test func argumentCountMustMatchPlaceholders() throws {
        let db = try Database(path: directory.file("a.sqlite"))
        #expect(throws: StoreError.self) { try db.execute("SELECT ?", []) }
        #expect(throws: StoreError.self) { try db.execute("SELECT ?", [1, 2]) }
    }

    @Test func constraintErrorsCarryTheirCodeAndSQLButNotTheValues() throws {
        let db = try Database(path: directory.file("a.sqlite"))
        try db.execute("CREATE TABLE t (k TEXT PRIMARY KEY)")
        try db.execute("INSERT INTO t VALUES (?)", ["secret-value"])
        do {
            try db.execute("INSERT INTO t VALUES (?)", ["secret-value"])
            Issue.record("expected a unique violation")
        } catch let error as StoreError {
            #expect(error.isDataError && (error.code == .constraintUnique || error.code == .constraintPrimaryKey))
            #expect(error.sql == "INSERT INTO t VALUES (?)")
            #expect(!error.description.contains("secret-value"))
        }
    }

    @Test func writeRollsBackAndRethrowsTheFirstError() throws {
        struct Boom: Error {}
        let db = try Database(path: directory.file("a.sqlite"))
        try db.execute("CREATE TABLE t (x INTEGER)")
        #expect(throws: Boom.self) {
            try db.write {
                try db.execute("INSERT INTO t VALUES (1)")
                throw Boom()
            }
        }
        #expect(try db.scalar("SELECT count(*) FROM t") == 0)
        #expect(!db.isInTransaction)
        try db.write { try db.execute("INSERT INTO t VALUES (1)") }
        #expect(try db.scalar("SELECT count(*) FROM t") == 1)
    }

    @Test func transactionsDoNotNest() throws {
        let db = try Database(path: directory.file("a.sqlite"))
        #expect(throws: StoreError.self) { try db.write { try db.read {} } }
    }

    @Test func aWriterGivesUpWithBusyAfterItsTimeout() throws {
        let path = directory.file("a.sqlite")
        let holder = try Database(path: path)
        try holder.execute("CREATE TABLE t (x INTEGER)")
        var options = Database.Options()
        options.busyTimeout = 0.2
        let waiter = try Database(path: path, options: options)
        try holder.execute("BEGIN IMMEDIATE")
        let started = ContinuousClock.now
        do {
            try waiter.write { try waiter.execute("INSERT INTO t VALUES (1)") }
            Issue.record("expected SQLITE_BUSY")
        } catch let error as StoreError {
            #expect(error.isBusy)
        }
        // Its own timeout, not the default's.
        let waited = ContinuousClock.now - started
        #expect(waited >= .milliseconds(200) && waited < .seconds(Database.Options().busyTimeout), "\(waited)")
        try holder.execute("ROLLBACK")
    }

    /// Many connections on many threads doing compare-and-set increments: every increment lands
    /// once, and no SQLITE_BUSY escapes the busy handler.
    @Test func concurrentCompareAndSetIncrementsAreExact() throws {
        let path = directory.file("a.sqlite")
        let setup = try Database(path: path)
        try setup.execute(
            "CREATE TABLE counter (id INTEGER PRIMARY KEY, value INTEGER NOT NULL, version INTEGER NOT NULL)")
        try setup.execute("INSERT INTO counter VALUES (1, 0, 0)")
        let threads = 8
        let increments = 50
        let failures = Failures()
        DispatchQueue.concurrentPerform(iterations: threads) { _ in
            do {
                let db = try Database(path: path)
                for _ in 0..<increments {
                    while true {
                        let row = try #require(try db.row("SELECT value, version FROM counter WHERE id = 1"))
                        let value: Int = try row.get("value")
                        let version: Int = try row.get("version")
                        let changed = try db.write {
                            try db.execute(
                                "UPDATE counter SET value = ?, version = version + 1 WHERE id = 1 AND version = ?",
                                [value + 1, version])
                        }
                        if changed == 1 { break }
                    }
                }
            } catch {
                failures.record(error)
            }
        }
        #expect(failures.errors.isEmpty, "\(failures.errors)")
        #expect(try setup.scalar("SELECT value FROM counter") == threads * increments)
    }
}

@Suite struct WriterTurnstileTests {
    let directory = TemporaryDirectory()

    /// A write transaction on one thread waits for another thread's to end, and gives up with
    /// busy after its timeout, as when SQLite's own lock is taken.
    @Test func aWriterWaitsItsTurnAndGivesUpAfterItsTimeout() throws {
        let path = directory.file("a.sqlite")
        let holder = try Database(path: path)
        try holder.execute("CREATE TABLE t (x INTEGER)")
        let outcome = Outcome()
        try holder.write {
            let done = DispatchSemaphore(value: 0)
            Thread {
                outcome.record {
                    var options = Database.Options()
                    options.busyTimeout = 0.2
                    let waiter = try Database(path: path, options: options)
                    try waiter.write { try waiter.execute("INSERT INTO t VALUES (1)") }
                }
                done.signal()
            }.start()
            done.wait()
        }
        let error = try #require(outcome.error as? StoreError)
        // Its own timeout, not the default's.
        #expect(error.isBusy && outcome.seconds >= 0.2 && outcome.seconds < Database.Options().busyTimeout)
        #expect(FileManager.default.fileExists(atPath: path + "-writer"))
    }

    /// A database opened through a symlink queues its writers with those of its real name: the
    /// queue lives beside SQLite's own `-wal`, named after the file SQLite opened.
    @Test func aSymlinkedNameSharesTheQueueOfItsFile() throws {
        let path = directory.file("real.sqlite")
        let alias = directory.file("alias.sqlite")
        let holder = try Database(path: path)
        try holder.execute("CREATE TABLE t (x INTEGER)")
        #expect(symlink(path, alias) == 0)
        let other = try Database(path: alias)
        try holder.write { #expect(!other.writersQueueAnswers(within: 0.2), "the alias has a queue of its own") }
        #expect(other.writersQueueAnswers(within: 5))
        #expect(!FileManager.default.fileExists(atPath: alias + "-writer"))
    }

    /// A writer that gives the turn back and asks again at once goes behind the writers already
    /// waiting (a mutex alone gave a third of the turns back to the writer that had just left).
    @Test func writersAreServedInTheOrderTheyCame() throws {
        let path = directory.file("a.sqlite")
        let first = try #require(WriterTurnstile(databasePath: path))
        let events = EventList()
        #expect(first.entered(timeout: 5))
        let finished = DispatchSemaphore(value: 0)
        for (count, name) in [(1, "second"), (2, "third")] {
            let waiter = try #require(TurnstileBox(WriterTurnstile(databasePath: path)))
            let thread = ThreadID()
            let started = DispatchSemaphore(value: 0)
            Thread {
                thread.set(ThreadState.currentID())
                started.signal()
                if waiter.turnstile.entered(timeout: 5) {
                    events.append(name)
                    waiter.turnstile.leave()
                }
                finished.signal()
            }.start()
            started.wait()
            // It waits in line: its ticket taken, asleep in futex(2) until its turn.
            let waits =
                first.waitForWriters(UInt32(count))
                && waitUntil(timeout: 30, every: 0.001) { ThreadState.sleepsInFutex(getpid(), thread: thread.value) }
                    != nil
            #expect(waits, "the \(name) writer never queued")
        }
        first.leave()
        #expect(first.entered(timeout: 5))
        events.append("first again")
        first.leave()
        finished.wait()
        finished.wait()
        #expect(events.all == ["second", "third", "first again"])
    }

    /// A writer that gave up waiting leaves a ticket nobody takes; the writers behind it are
    /// served anyway, as soon as they see it was given up.
    @Test func aTicketGivenUpIsPassedOver() throws {
        let path = directory.file("a.sqlite")
        let first = try #require(WriterTurnstile(databasePath: path))
        #expect(first.entered(timeout: 5))
        let impatient = try #require(TurnstileBox(WriterTurnstile(databasePath: path)))
        let gaveUp = DispatchSemaphore(value: 0)
        Thread {
            #expect(!impatient.turnstile.entered(timeout: 0.05))
            gaveUp.signal()
        }.start()
        gaveUp.wait()
        let patient = try #require(TurnstileBox(WriterTurnstile(databasePath: path)))
        let outcome = Outcome()
        let finished = DispatchSemaphore(value: 0)
        Thread {
            outcome.record {
                guard patient.turnstile.entered(timeout: 5) else { throw StoreError(code: .busy, message: "no turn") }
                patient.turnstile.leave()
            }
            finished.signal()
        }.start()
        #expect(first.waitForWriters(2), "the patient writer never queued behind the ticket given up")
        let patientsTicket = first.tickets.serving &+ 2
        first.leave()
        // Passed over because its writer gave up, not after the turn sat unused for passUnusedAfter.
        let served = waitUntil(timeout: 30, every: 0.001) {
            Int32(bitPattern: first.tickets.serving &- patientsTicket) >= 0
        }
        finished.wait()
        #expect(outcome.error == nil)
        #expect(
            served.map { $0 < Double(WriterTurnstile.passUnusedAfter) / 1e9 } == true,
            "the queue stalled \(served ?? -1) s on the ticket given up")
    }

    /// A writer whose thread ends in its turn, its connection left open, keeps the turn's lock (the
    /// kernel drops it with the connection or its process): the next writer finds SQLite's lock
    /// free, goes by it, and puts a new queue file in place of that one for the writers after it.
    @Test func aWriterThatEndsInItsTurnIsGoneBy() throws {
        let path = directory.file("a.sqlite")
        let db = try Database(path: path)
        try db.execute("CREATE TABLE t (x INTEGER)")
        let abandoned = try #require(TurnstileBox(WriterTurnstile(databasePath: path)))
        let thread = ThreadID()
        let ended = DispatchSemaphore(value: 0)
        Thread {
            thread.set(ThreadState.currentID())
            _ = abandoned.turnstile.entered(timeout: 1)  // and never leaves: the thread just ends
            ended.signal()
        }.start()
        ended.wait()
        #expect(waitUntil(timeout: 30) { ThreadState.isGone(thread.value) } != nil, "the thread did not end")
        var options = Database.Options()
        options.busyTimeout = 5
        let next = try Database(path: path, options: options)
        try next.write { try next.execute("INSERT INTO t VALUES (1)") }
        try next.write { try next.execute("INSERT INTO t VALUES (2)") }
        #expect(try db.scalar("SELECT count(*) FROM t") == 2)
        #expect(abandoned.turnstile.isRetired, "the queue it keeps was not replaced")
        #expect(next.writersQueueStatus(within: 5).note?.reason.contains("which was not writing") == true)
    }

    /// One connection at a time may checkpoint; the kernel takes the right back from one that
    /// closes (or whose process dies) holding it.
    @Test func theRightToCheckpointIsOneConnectionsAtATime() throws {
        let path = directory.file("a.sqlite")
        var first = WriterTurnstile(databasePath: path)
        let second = try #require(WriterTurnstile(databasePath: path))
        #expect(first?.claimCheckpoint() == true)
        #expect(!second.claimCheckpoint(), "two connections held it at once")
        first = nil
        #expect(second.claimCheckpoint(), "the right stayed with a connection that closed")
        let third = try #require(WriterTurnstile(databasePath: path))
        #expect(!third.claimCheckpoint(), "two connections held it at once")
        second.releaseCheckpoint()
        #expect(third.claimCheckpoint())
    }

    /// Without a turnstile file (it cannot be made), writes still happen, under SQLite's lock alone.
    @Test func withoutItsFileWritesStillHappen() throws {
        let path = directory.file("a.sqlite")
        try FileManager.default.createDirectory(atPath: path + "-writer", withIntermediateDirectories: true)
        let db = try Database(path: path)
        try db.write { try db.execute("CREATE TABLE t (x INTEGER)") }
        try db.write { try db.execute("INSERT INTO t VALUES (1)") }
        #expect(try db.scalar("SELECT count(*) FROM t") == 1)
    }
}

@Suite struct SavepointTests {
    let directory = TemporaryDirectory()

    @Test func aFailedSavepointUndoesOnlyItsOwnChanges() throws {
        struct Miss: Error {}
        let db = try Database(path: directory.file("s.sqlite"))
        try db.execute("CREATE TABLE t (x INTEGER)")
        try db.write {
            try db.execute("INSERT INTO t VALUES (1)")
            #expect(throws: Miss.self) {
                try db.savepoint {
                    try db.execute("INSERT INTO t VALUES (2)")
                    throw Miss()
                }
            }
            try db.savepoint { try db.execute("INSERT INTO t VALUES (3)") }
        }
        #expect(try db.rows("SELECT x FROM t ORDER BY x").map { try $0.get(0, as: Int.self) } == [1, 3])
        #expect(throws: StoreError.self) { try db.savepoint {} }
    }

    @Test func aRehearsalRunsNestedTransactionsAndCommitsNothing() throws {
        let db = try Database(path: directory.file("a.sqlite"))
        try db.execute("CREATE TABLE t (x INTEGER NOT NULL)")
        try db.execute("INSERT INTO t VALUES (1)")
        let seen: Int = try db.rehearse {
            #expect(db.isRehearsing)
            try db.write { try db.execute("INSERT INTO t VALUES (2)") }
            #expect(throws: StoreError.self) {
                try db.write {
                    try db.execute("INSERT INTO t VALUES (3)")
                    try db.execute("INSERT INTO t VALUES (NULL)")
                }
            }
            return try db.read { try db.scalar("SELECT sum(x) FROM t") } ?? 0
        }
        #expect(seen == 3, "the failed write is undone, the other seen")
        #expect(!db.isRehearsing && !db.isInTransaction)
        #expect(try db.scalar("SELECT sum(x) FROM t") == 1)
        #expect(throws: StoreError.self) { try db.write { try db.rehearse {} } }
    }
}

/// A connection handed to another thread in a test.
private final class ConnectionBox: @unchecked Sendable {  // used by one thread at a time
    let db: Database
    init(_ db: Database) { self.db = db }
}

/// What threads of a test saw, in the order they saw it.
private final class EventList: @unchecked Sendable {  // `values` behind `lock`
    private let lock = NSLock()
    private var values = [String]()
    func append(_ event: String) { lock.withLock { values.append(event) } }
    var all: [String] { lock.withLock { values } }
}

/// The id of a test's thread, set by that thread before it signals a semaphore the reader waits on.
private final class ThreadID: @unchecked Sendable {
    private(set) var value: Int32 = 0
    func set(_ value: Int32) { self.value = value }
}

/// A turnstile handed to another thread in a test.
private final class TurnstileBox: @unchecked Sendable {  // used by one thread at a time
    let turnstile: WriterTurnstile
    init?(_ turnstile: WriterTurnstile?) {
        guard let turnstile else { return nil }
        self.turnstile = turnstile
    }
}

/// What a body run on another thread threw, and how long it took.
private final class Outcome: @unchecked Sendable {  // written by one thread before the other reads
    private(set) var error: (any Error)?
    private(set) var seconds = 0.0

    func record(_ body: () throws -> Void) {
        let started = ContinuousClock.now
        do { try body() } catch { self.error = error }
        let duration = ContinuousClock.now - started
        seconds = Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }
}

extension WriterTurnstile {
    /// Whether the turn came (nothing offered meanwhile).
    fileprivate func entered(timeout: Double) -> Bool {
        if case .turn = enter(timeout: timeout) { return true }
        return false
    }
}
