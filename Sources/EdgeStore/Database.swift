import CBatchedWAL
import CLinux
import CSQLite
import Glibc
// Rows and values are part of this module's API.
@_exported import SQLValues

/// One SQLite connection: owns its `sqlite3` handle from `init` to `deinit`.
///
/// Every connection runs in WAL mode with foreign keys on, extended result codes, commits flushed
/// to disk before the call that made them returns unless told otherwise (a sale the cashier saw
/// survives a power cut), writers queued in turn (``WriterTurnstile``), and a bounded, jittered
/// busy wait. Closing leaves the WAL for the next connection, checkpointed and truncated
/// once it is long (``closeCheckpointFrames``). It opens through the batched-WAL VFS
/// (`CBatchedWAL`), which writes each commit's WAL frames in one call. Statements are prepared
/// once and cached by their SQL text; arguments are always bound, never spliced into SQL.
///
/// A `Database` is used from one thread at a time (it is not `Sendable`); processes and threads
/// that need concurrency open their own connections to the same file.
///
/// ```swift
/// let db = try Database(path: "venue.sqlite")
/// try db.write {
///     try db.execute("UPDATE allocation SET sold = sold + 1 WHERE event_id = ?", ["GALA"])
/// }
/// ```
public final class Database {
    /// Nesting depth inside ``rehearse(_:)``; 0 outside.
    private var rehearsalDepth = 0
    /// Nesting depth inside ``writeAsOne(_:)``; 0 outside.
    private var groupDepth = 0
    /// How a connection is opened.
    public struct Options: Sendable {
        /// When commits reach the disk.
        public enum Synchronous: String, Sendable, CaseIterable {
            /// Every commit flushed before the write transaction (or the statement) that made it
            /// returns: nothing a caller was told is committed is lost on power failure. The flush
            /// comes after the writer's turn is given back, so the next writer commits meanwhile
            /// and flushes of several processes overlap; another connection may read a commit a
            /// moment before it is flushed (``Database/flushCommits()``).
            case full = "FULL"
            /// fsync at checkpoints only: faster; the last commits may roll back on power failure.
            case normal = "NORMAL"
        }
        /// Durability of commits; FULL by default.
        public var synchronous: Synchronous = .full
        /// Longest wait for a lock, in seconds, before a statement fails with SQLITE_BUSY.
        public var busyTimeout: Double = 10
        /// Create the file when it does not exist.
        public var createIfMissing = true
        /// Open for reading only: no file is created and the journal mode is left as found.
        public var readOnly = false
        /// Bytes per page of a database this connection creates; one that exists keeps its own.
        ///
        /// 2 KiB rather than SQLite's 4: a commit writes every page it changed whole into the WAL,
        /// and a sale changes a few bytes in each of a dozen pages (a row and an index entry per
        /// table), so smaller pages halve what each commit writes and flushes, for B-trees a level
        /// deeper at most. (`Scripts/bench sale`: BENCHMARKS.md.)
        public var pageSize = 2048
        /// Defaults: FULL, 10 s busy timeout, create if missing, 2 KiB pages.
        public init() {}
    }

    /// The file this connection opened.
    public let path: String
    /// The file as SQLite named it when it opened it (absolute, symbolic links resolved): its
    /// `-wal` and `-shm` are this name with their suffix.
    var filename: String { filenames.names[0] }
    /// The names of the database file, its `-wal` and `-shm`, as SQLite made them.
    let filenames: DatabaseFilenames
    let handle: OpaquePointer
    /// Prepared statements by their SQL text.
    private var statements: [String: Statement] = [:]
    /// The same statements by the address of their text's UTF-8: a program repeats the same
    /// literals, and hashing an address costs little next to hashing the whole text. A hit counts
    /// only when the texts are equal (the same storage compares at once); entries for texts made
    /// afresh each time are dropped when they pile up.
    private var statementsByAddress: [UnsafeRawPointer: Statement] = [:]
    private let busyWait: BusyWait
    let busyTimeout: Double
    /// Queues this connection's write transactions behind other writers; nil for read-only ones.
    let queue: WriterQueue?
    /// The WAL's length after this connection's last commit, from SQLite's WAL hook.
    private var walFrames = 0
    /// Commits are flushed to disk before the statement or transaction that made them returns
    /// (`synchronous` FULL asked for).
    private let flushesCommits: Bool
    /// True while a write transaction has its turn: its commit is flushed once the turn is given
    /// back, not inside `COMMIT`.
    private var flushAfterTurn = false
    /// The files found detached when this connection last refused to commit; the error of that
    /// commit names them (``error(code:sql:)``).
    private var refusedCommit: [DetachedFile]?

    /// What the process sets in SQLite once, before its first connection: no memory statistics
    /// (`csqlite_skip_memory_statistics`).
    private static let sqliteSetUp: Void = { _ = csqlite_skip_memory_statistics() }()

    /// Opens (and by default creates) the database at `path` and configures the connection. A
    /// database this connection may write is made readable by its owner only (see ``PrivateFile``).
    public init(path: String, options: Options = Options()) throws {
        var flags = (options.readOnly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE) | SQLITE_OPEN_NOMUTEX
        if options.createIfMissing, !options.readOnly {
            flags |= SQLITE_OPEN_CREATE
            try PrivateFile.create(path)
        }
        if !options.readOnly { PrivateFile.tighten(path) }
        var handle: OpaquePointer?
        _ = Self.sqliteSetUp
        let registered = batched_wal_register()
        guard registered == SQLITE_OK else {
            throw StoreError(code: ResultCode(rawValue: registered), message: "cannot set up SQLite's file layer")
        }
        let code = sqlite3_open_v2(path, &handle, flags, BATCHED_WAL_VFS)
        guard code == SQLITE_OK, let handle else {
            let message = handle.map { String(cString: sqlite3_errmsg($0)) } ?? "cannot open"
            sqlite3_close_v2(handle)
            throw StoreError(code: ResultCode(rawValue: code), message: "\(message): \(path)")
        }
        let file = Self.fileStatus(handle)
        if !options.readOnly, let names = file.map({ Int($0.st_nlink) }), names > 1 {
            sqlite3_close_v2(handle)
            throw StoreError.hardLinked(path, names: names)
        }
        self.handle = handle
        self.path = path
        // Next to SQLite's own `-wal`, named after the file it opened (symlinks resolved).
        let opened = sqlite3_db_filename(handle, "main").map { String(cString: $0) }.flatMap { $0.isEmpty ? nil : $0 }
        filenames = DatabaseFilenames(opened ?? path)
        busyWait = BusyWait(timeout: options.busyTimeout)
        busyTimeout = options.busyTimeout
        queue =
            options.readOnly
            ? nil
            : WriterQueue(
                databasePath: opened ?? path,
                owner: file.map { WriterQueueFile.Owner(user: $0.st_uid, group: $0.st_gid) })
        flushesCommits = !options.readOnly && options.synchronous == .full
        sqlite3_extended_result_codes(handle, 1)
        waitWhenBusy()
        try configure(options)
    }

    /// Has SQLite call ``BusyWait`` when it finds the database locked.
    private func waitWhenBusy() {
        sqlite3_busy_handler(
            handle,
            { context, attempt in
                Unmanaged<BusyWait>.fromOpaque(context!).takeUnretainedValue().shouldRetry(attempt: Int(attempt))
                    ? 1 : 0
            }, Unmanaged.passUnretained(busyWait).toOpaque())
    }

    /// The status of the database file SQLite opened, from SQLite's own descriptor (never
    /// another one: closing it would drop SQLite's locks); nil when unknown.
    private static func fileStatus(_ handle: OpaquePointer) -> stat? {
        var file: UnsafeMutablePointer<sqlite3_file>?
        guard sqlite3_file_control(handle, "main", SQLITE_FCNTL_FILE_POINTER, &file) == SQLITE_OK, let file,
            file.pointee.pMethods != nil
        else { return nil }
        var info = stat()
        guard fstat(csqlite_unix_file_descriptor(batched_wal_underlying(file)), &info) == 0 else { return nil }
        return info
    }

    /// What a writer of this database meets, tried within `timeout` seconds: the connection
    /// takes the turn in the writers' queue (or goes by one kept by a writer that is not writing,
    /// or has no queue file to serve it), then SQLite's write lock, and gives both back at once,
    /// writing nothing. A read-only connection writes nothing: it answers.
    public func writersQueueStatus(within timeout: Double) -> WritersQueueStatus {
        guard let queue, !isInTransaction else { return WritersQueueStatus(answers: true) }
        let deadline = BusyWait.monotonicNanoseconds() + UInt64(max(0, timeout) * 1e9)
        let entry = queue.enter(timeout: timeout, offering: nil, withoutQueue: { self.beginAtOnce("BEGIN IMMEDIATE") })
        var unqueued: String?
        let begun: Bool
        switch entry {
        case .turn(let turnstile, _):
            defer { turnstile.leave() }
            begun = beginBefore(deadline)
            if begun { _ = try? execute("ROLLBACK") }
        case .unqueued(let alreadyBegun, _, let reason):
            unqueued = reason
            begun = alreadyBegun || beginBefore(deadline)
            if begun { _ = try? execute("ROLLBACK") }
        default: return WritersQueueStatus(answers: false, stuck: .turn, note: queue.note)
        }
        return WritersQueueStatus(answers: begun, stuck: begun ? nil : .writeLock, unqueued: unqueued, note: queue.note)
    }

    /// Whether a writer of this database gets through within `timeout` seconds
    /// (``writersQueueStatus(within:)``): false when the queue is wedged (the writer whose turn
    /// it is keeps it, and SQLite's lock: a process stopped or hung in its transaction).
    public func writersQueueAnswers(within timeout: Double) -> Bool { writersQueueStatus(within: timeout).answers }

    /// Looks at the writers' queue file and its path, as a long-running process does between
    /// writes: a file replaced, written over, truncated or given a second name is left for a
    /// sound one, and what happened is reported to ``WriterQueueIncidents``.
    public func checkWritersQueue() { queue?.check() }

    /// Begins the write transaction `begin` if SQLite's write lock is free now, without waiting.
    private func beginAtOnce(_ begin: String) -> Bool {
        sqlite3_busy_handler(handle, nil, nil)
        defer { waitWhenBusy() }
        return (try? execute(begin)) != nil
    }

    /// Begins a write transaction once SQLite's write lock is free, trying until `deadline`
    /// (monotonic nanoseconds); false when it did not come.
    private func beginBefore(_ deadline: UInt64) -> Bool {
        var pause: UInt32 = 100
        while !beginAtOnce("BEGIN IMMEDIATE") {
            guard BusyWait.monotonicNanoseconds() < deadline else { return false }
            usleep(pause)
            pause = min(pause * 2, 10_000)
        }
        return true
    }

    deinit {
        if queue != nil { checkpointLargeWAL() }
        statementsByAddress.removeAll()
        statements.removeAll()
        sqlite3_close_v2(handle)
    }

    /// WAL frames past which a connection checkpoints and truncates the WAL as it closes.
    ///
    /// The WAL outlives the connection (``configure(_:)``); the next process to open the database
    /// with none other open rebuilds its index from the WAL frame by frame, so the WAL is kept
    /// short: 200 frames is about twenty sales (BENCHMARKS.md, "Opening the database").
    static let closeCheckpointFrames = 200

    /// Checkpoints and truncates a WAL longer than ``closeCheckpointFrames``, in the two steps of
    /// ``checkpointIfDue()``: the bulk copied while other writers go on, then the rest and the
    /// truncation in a turn of its own, so that no sale waits for the whole copy. It waits for no
    /// reader: when another
    /// connection is reading, it copies what it can and a later close finishes it; when the turn
    /// does not come within ``closeTurnWait``, it leaves the rest too.
    private func checkpointLargeWAL() {
        var status = stat()
        guard stat(path + "-wal", &status) == 0 else { return }
        let pageBytes = (try? pageSize()) ?? 4096
        guard Int(status.st_size) > Self.closeCheckpointFrames * (pageBytes + 24) else { return }
        sqlite3_busy_handler(handle, nil, nil)
        checkpointInTwoSteps(finishing: SQLITE_CHECKPOINT_TRUNCATE, turnWait: Self.closeTurnWait)
    }

    /// Longest wait, in seconds, for the turn in which a closing connection truncates the WAL.
    static let closeTurnWait = 1.0

    /// WAL pages after which a write transaction checkpoints once it has committed.
    ///
    /// 8,000 pages rather than SQLite's 1,000: a sale rewrites mostly the same few leaves, and a
    /// checkpoint copies each page in the WAL once and flushes twice, so rarer checkpoints copy
    /// and flush far less. The WAL file stays at most about that size.
    static let checkpointPages = 8000

    /// Checkpoints once the last commit left the WAL at ``checkpointPages`` or more, in two steps,
    /// after the writer's turn is given back. First it copies the WAL's pages while other writers
    /// go on committing (`PASSIVE`: it waits for no one); then it takes a turn like any writer and
    /// copies the few pages they wrote meanwhile, so that the WAL is wholly copied and the next
    /// writer starts it again from the beginning. (A WAL that other writers keep ahead of its
    /// checkpoint never restarts: it grows, and every commit past the bound checkpoints again, two
    /// more flushes each.) SQLite's own checkpoint runs inside the committing `COMMIT`, where every
    /// other writer waited for the whole copy. Between the steps, the pages the first one copied
    /// are written to disk and flushed (``writeBackDatabaseFile()``), so the step in a turn flushes
    /// little more than the two flushes a checkpoint needs (the WAL before copying, the database
    /// before the WAL starts again). BENCHMARKS.md, "Checkpoints", has the measurements.
    ///
    /// One connection checkpoints at a time (``WriterTurnstile/claimCheckpoint()``); the others
    /// go on. One that cannot run now is tried again after a later commit, which finds the WAL
    /// still as long; without a turnstile, the first step alone runs.
    private func checkpointIfDue() {
        guard walFrames >= Self.checkpointPages else { return }
        walFrames = 0
        let turnstile = queue?.current()
        if let turnstile, !turnstile.claimCheckpoint() { return }
        defer { turnstile?.releaseCheckpoint() }
        checkpointInTwoSteps(finishing: SQLITE_CHECKPOINT_PASSIVE, turnWait: busyTimeout)
    }

    /// The two steps of a checkpoint: a `PASSIVE` copy of what the WAL held when it began, while
    /// other writers go on committing; then, in a turn of its own (waited for at most `turnWait`
    /// seconds), a checkpoint of `mode` over what they wrote meanwhile. Without a turnstile there
    /// is no turn to take, and `mode` runs at once.
    private func checkpointInTwoSteps(finishing mode: Int32, turnWait: Double) {
        // A connection whose `-shm` was replaced would copy frames of another WAL's index, and
        // truncate a WAL whose frames it does not know of.
        guard !hasDetachedFiles() else { return }
        guard let queue, queue.current() != nil else {
            sqlite3_wal_checkpoint_v2(handle, nil, mode, nil, nil)
            return
        }
        // A first step that copied the WAL to its end had SQLite flush the database file itself.
        var logFrames: Int32 = 0
        var copiedFrames: Int32 = 0
        guard
            sqlite3_wal_checkpoint_v2(handle, nil, SQLITE_CHECKPOINT_PASSIVE, &logFrames, &copiedFrames) == SQLITE_OK,
            copiedFrames == logFrames || writeBackDatabaseFile()
        else { return }
        switch queue.enter(timeout: turnWait, offering: nil, withoutQueue: nil) {
        case .turn(let turnstile, _):
            defer { turnstile.leave() }
            sqlite3_wal_checkpoint_v2(handle, nil, mode, nil, nil)
        case .unqueued: sqlite3_wal_checkpoint_v2(handle, nil, mode, nil, nil)
        default: return
        }
    }

    /// Bytes of the database file written back at a time by ``writeBackDatabaseFile()``.
    static let writeBackPiece: Int64 = 256 * 1024

    /// Writes to disk, a piece at a time, and flushes the pages a checkpoint's first step copied
    /// into the database file; false when the flush failed (the checkpoint stops there, and a
    /// later commit tries again).
    ///
    /// SQLite flushes the database file only in a checkpoint that copies the WAL to its end, which
    /// under load only the step in a turn does, with every writer waiting, and the disk's queue
    /// full of those pages holds up every process's commit flush. Written back here first,
    /// ``writeBackPiece`` at a time and each piece waited for (`sync_file_range`; PostgreSQL paces
    /// its checkpoints' writes the same way), the commit flushes get through between the pieces
    /// (BENCHMARKS.md, "Checkpoints"). Only checkpoints write the file in WAL mode, and one
    /// connection checkpoints at a time.
    private func writeBackDatabaseFile() -> Bool {
        guard let file = sqliteFile(SQLITE_FCNTL_FILE_POINTER) else { return false }
        // SQLite's own descriptor, once it is shown to be this file's; without it, the flush alone.
        let descriptor = csqlite_unix_file_descriptor(batched_wal_underlying(file))
        var opened = stat()
        var named = stat()
        if fstat(descriptor, &opened) == 0, stat(path, &named) == 0, opened.st_dev == named.st_dev,
            opened.st_ino == named.st_ino
        {
            // Pacing only: what the disk failed to write, the flush below reports.
            for offset in stride(from: Int64(0), to: Int64(opened.st_size), by: Int(Self.writeBackPiece)) {
                _ = clinux_write_back_range(descriptor, offset, Self.writeBackPiece)
            }
        }
        return Self.sync(file) == SQLITE_OK
    }

    private func configure(_ options: Options) throws {
        try execute("PRAGMA foreign_keys = ON")
        guard !options.readOnly else { return }
        try execute("PRAGMA page_size = \(options.pageSize)")  // before WAL mode writes the first page
        let mode: String? = try scalar("PRAGMA journal_mode = WAL")
        guard mode?.lowercased() == "wal" else {
            throw StoreError(
                code: .error, message: "cannot switch \(path) to WAL mode (journal_mode is \(mode ?? "unknown"))")
        }
        // FULL is kept by flushing the WAL after each commit here (``flushCommits()``), once the
        // writer's turn is given back: SQLite's FULL flushes inside COMMIT, with the next writer
        // waiting on the flush as well.
        try execute("PRAGMA synchronous = NORMAL")
        // SQLite's own checkpoint runs inside COMMIT, while this connection still has its turn
        // (``checkpointIfDue()`` runs it after); the hook replaces `wal_autocheckpoint`.
        sqlite3_wal_hook(
            handle,
            { context, _, _, frames in
                Unmanaged<Database>.fromOpaque(context!).takeUnretainedValue().committed(walFrames: Int(frames))
            }, Unmanaged.passUnretained(self).toOpaque())
        // A commit into files deleted under this connection is lost to every other one: each
        // write transaction looks at their link counts as it is about to commit, and SQLite
        // turns the commit into a rollback (`SQLITE_CONSTRAINT_COMMITHOOK`) when one is 0.
        sqlite3_commit_hook(
            handle,
            { context in
                Unmanaged<Database>.fromOpaque(context!).takeUnretainedValue().refusesCommit() ? 1 : 0
            }, Unmanaged.passUnretained(self).toOpaque())
        // Closing leaves the WAL for the next connection: a `boxoffice` process that checkpointed
        // and deleted the WAL at exit flushed five times where its commit needs one (the header
        // of a WAL made anew and its folder, the commit, the checkpoint's two).
        // `checkpointLargeWAL()` keeps the WAL short instead.
        csqlite_keep_wal_on_close(handle)
    }

    /// Bytes per page of this database.
    public func pageSize() throws -> Int { try scalar("PRAGMA page_size") ?? 0 }

    /// Rewrites the database with pages of `bytes` (`VACUUM` outside WAL mode, then WAL again).
    /// Needs the database to itself: it fails while another connection has it open.
    public func changePageSize(to bytes: Int) throws {
        guard try pageSize() != bytes else { return }
        guard try scalar("PRAGMA journal_mode = DELETE", as: String.self)?.lowercased() == "delete" else {
            throw StoreError(
                code: .busy, message: "cannot change the page size of \(path): another connection has it open")
        }
        do {
            try execute("PRAGMA page_size = \(bytes)")
            try execute("VACUUM")
        } catch {
            _ = try? scalar("PRAGMA journal_mode = WAL", as: String.self)  // the VACUUM's error is the one to report
            throw error
        }
        guard try scalar("PRAGMA journal_mode = WAL", as: String.self)?.lowercased() == "wal" else {
            throw StoreError(code: .error, message: "cannot switch \(path) back to WAL mode")
        }
    }

    // MARK: Statements

    /// Runs one statement to completion and returns the number of rows it changed.
    @discardableResult
    public func execute(_ sql: String, _ arguments: [any SQLValueConvertible] = []) throws -> Int {
        try withStatement(sql, arguments) { statement in
            while try statement.step() != nil {}
        }
        return Int(sqlite3_changes64(handle))
    }

    /// All rows of a query.
    public func rows(_ sql: String, _ arguments: [any SQLValueConvertible] = []) throws -> [Row] {
        try withStatement(sql, arguments) { statement in
            var rows = [Row]()
            while let row = try statement.step() { rows.append(row) }
            return rows
        }
    }

    /// Steps through a query's rows in order, handing each to `body` until it returns false: for
    /// a scan that can stop early without reading (or allocating) the rest.
    public func forEachRow(
        _ sql: String, _ arguments: [any SQLValueConvertible] = [], _ body: (Row) throws -> Bool
    ) throws {
        try withStatement(sql, arguments) { statement in
            while let row = try statement.step(), try body(row) {}
        }
    }

    /// Steps through a query's first column as integers, handing each to `body` until it returns
    /// false: a scan of keys or ranks that allocates nothing per row. A value that is not an
    /// integer (NULL included) throws `.mismatch`, as ``Row/get(_:as:)`` would.
    public func forEachInteger(
        _ sql: String, _ arguments: [any SQLValueConvertible] = [], _ body: (Int64) throws -> Bool
    ) throws {
        try withStatement(sql, arguments) { statement in
            while let value = try statement.stepInteger(), try body(value) {}
        }
    }

    /// The first row of a query, or nil when there is none.
    public func row(_ sql: String, _ arguments: [any SQLValueConvertible] = []) throws -> Row? {
        try withStatement(sql, arguments) { try $0.step() }
    }

    /// The first column of the first row as `T`, or nil when there is no row or the value is NULL.
    public func scalar<T: SQLValueDecodable>(
        _ sql: String, _ arguments: [any SQLValueConvertible] = [],
        as type: T.Type = T.self
    ) throws -> T? {
        try row(sql, arguments).flatMap { row in row.values.first == .null ? nil : try row.get(0) }
    }

    /// Runs several `;`-separated statements without arguments (migrations, schema scripts).
    public func executeScript(_ sql: String) throws {
        var message: UnsafeMutablePointer<CChar>?
        let code = sqlite3_exec(handle, sql, nil, nil, &message)
        defer { sqlite3_free(message) }
        guard code == SQLITE_OK else {
            let extended = sqlite3_extended_errcode(handle)
            throw refusal(extended)
                ?? StoreError(
                    code: ResultCode(rawValue: extended),
                    message: message.map { String(cString: $0) } ?? "script failed", sql: nil)
        }
    }

    /// True between BEGIN and COMMIT/ROLLBACK.
    public var isInTransaction: Bool { sqlite3_get_autocommit(handle) == 0 }

    private func withStatement<T>(
        _ sql: String, _ arguments: [any SQLValueConvertible],
        _ body: (Statement) throws -> T
    ) throws -> T {
        let statement: Statement
        let address = sql.utf8.withContiguousStorageIfAvailable { UnsafeRawPointer($0.baseAddress) } ?? nil
        if let address, let cached = statementsByAddress[address], cached.sql == sql {
            statement = cached
        } else {
            if let cached = statements[sql] {
                statement = cached
            } else {
                statement = try Statement(database: self, sql: sql)
                statements[sql] = statement
            }
            if let address {
                if statementsByAddress.count > 4 * statements.count { statementsByAddress.removeAll() }
                statementsByAddress[address] = statement
            }
        }
        defer { statement.reset() }
        try statement.bind(arguments.map(\.sqlValue))
        return try body(statement)
    }

    // MARK: Transactions

    /// Runs `body` in a `BEGIN IMMEDIATE` transaction: the writer lock is taken up front (waiting
    /// at most the busy timeout), so the transaction never fails half-way on a lock upgrade.
    /// Commits when `body` returns; rolls back and rethrows the first error when it throws.
    @discardableResult
    public func write<T>(_ body: () throws -> T) throws -> T {
        try transaction("BEGIN IMMEDIATE") { _ in try body() }
    }

    /// Runs `body` in a write transaction, as ``write(_:)`` does, or has it run for this
    /// connection: while this one waits in line, what `request` makes (only then: a writer
    /// whose turn is at once makes nothing) is offered to the writers ahead, and
    /// the one whose turn comes first may run it (through its ``offeredWrites``) in its own
    /// transaction, commit and flush it, and answer: `answered` then turns the answer into the
    /// result, in no transaction. `body` gets `recheck` true when a writer that had taken the
    /// request died meanwhile, before or after committing it: `body` finds out which first.
    public func write<T>(
        offering request: () -> [UInt8], _ body: (_ recheck: Bool) throws -> T, answered: ([UInt8]) throws -> T
    ) throws -> T {
        try withoutActuallyEscaping(request) { request in
            try withoutActuallyEscaping(answered) { answered in
                try transaction("BEGIN IMMEDIATE", offering: request, answered: answered, body)
            }
        }
    }

    /// What this connection does with the writes other connections of its database offer while
    /// it has the writer's turn for one of its own offered writes (``write(offering:_:answered:)``);
    /// nil takes none.
    public var offeredWrites: OfferedWrites?

    /// Runs `body` in a deferred transaction: one consistent snapshot for all its reads, without
    /// blocking writers (WAL).
    @discardableResult
    public func read<T>(_ body: () throws -> T) throws -> T {
        try transaction("BEGIN DEFERRED") { _ in try body() }
    }

    /// Runs `body` inside a savepoint of the current transaction: when it throws, only its own
    /// changes are undone and the error is rethrown; the enclosing transaction goes on.
    ///
    /// This is how one compare-and-set attempt over several rows stays all-or-nothing.
    @discardableResult
    public func savepoint<T>(_ body: () throws -> T) throws -> T {
        guard isInTransaction else {
            throw StoreError(code: .error, message: "a savepoint needs an open transaction", sql: "SAVEPOINT attempt")
        }
        try execute("SAVEPOINT attempt")
        do {
            let result = try body()
            try execute("RELEASE attempt")
            return result
        } catch {
            _ = try? execute("ROLLBACK TO attempt")
            _ = try? execute("RELEASE attempt")
            throw error
        }
    }

    /// Runs `body` as a rehearsal: inside one write transaction that is always rolled back, where
    /// every `write` and `read` of `body` becomes a savepoint. Everything `body` does is checked by
    /// the database (constraints, triggers, locks) and then undone: nothing is committed, whatever
    /// `body` returns or throws. The writer lock is held meanwhile.
    @discardableResult
    public func rehearse<T>(_ body: () throws -> T) throws -> T {
        guard !isInTransaction else {
            throw StoreError(code: .error, message: "a rehearsal needs no open transaction", sql: "BEGIN IMMEDIATE")
        }
        try execute("BEGIN IMMEDIATE")
        rehearsalDepth = 1
        defer {
            rehearsalDepth = 0
            if isInTransaction { _ = try? execute("ROLLBACK") }
        }
        return try body()
    }

    /// Runs `body` in one write transaction in which every `write` and `read` of `body` becomes a
    /// savepoint: the operations inside commit together, once, or not at all. For a write and the
    /// record of it made elsewhere (an API answer kept for its idempotency key) that must not be
    /// separated by a crash. Commits when `body` returns; rolls back and rethrows when it throws.
    @discardableResult
    public func writeAsOne<T>(_ body: () throws -> T) throws -> T {
        guard !isInTransaction else {
            throw StoreError(code: .error, message: "transactions do not nest", sql: "BEGIN IMMEDIATE")
        }
        return try transaction("BEGIN IMMEDIATE") { _ in
            groupDepth = 1
            defer { groupDepth = 0 }
            return try body()
        }
    }

    /// How many transactions this connection has begun (in a rehearsal, each `write` and `read`
    /// counts as one): tells one of its transactions from the next.
    public private(set) var transactionsBegun = 0

    /// True inside ``rehearse(_:)``: nothing written now will be committed.
    public var isRehearsing: Bool { rehearsalDepth > 0 }

    /// Inside ``rehearse(_:)``: writes the pages the rehearsal changed to the WAL, as frames no
    /// commit covers, and flushes the WAL (`sqlite3_db_cacheflush`, then `fdatasync`), so that a
    /// full or failing disk fails the rehearsal where it would fail the real writes. The rollback
    /// discards those frames, as it does a transaction too large for the page cache.
    public func writeRehearsalToDisk() throws {
        guard isRehearsing else {
            throw StoreError(code: .error, message: "only a rehearsal's pages are written without a commit")
        }
        let code = sqlite3_db_cacheflush(handle)
        guard code == SQLITE_OK else {
            throw StoreError(
                code: ResultCode(rawValue: code),
                message: "writing to \(path)-wal failed: \(String(cString: sqlite3_errstr(code)))")
        }
        try flushCommits()
    }

    /// A transaction, in the pieces below: nested as a savepoint, or a turn in the writers' line
    /// (``enterLine(_:offering:answered:)``), its statements and the offered writes it runs
    /// (``runTurn(_:in:)``), then the flush and the answers to the writers it served
    /// (``finishTurn(_:writing:)``).
    private func transaction<T>(
        _ begin: String, offering request: (() -> [UInt8])? = nil, answered: (([UInt8]) throws -> T)? = nil,
        _ body: (_ recheck: Bool) throws -> T
    ) throws -> T {
        transactionsBegun += 1
        if isRehearsing || groupDepth > 0 { return try nested { try body(false) } }
        guard !isInTransaction else {
            throw StoreError(code: .error, message: "transactions do not nest", sql: begin)
        }
        let writing = begin == "BEGIN IMMEDIATE"
        var turn = Turn(begin: begin, runsOffers: answered != nil)
        if writing {
            switch try enterLine(begin, offering: request, answered: answered) {
            case .turn(let entered): turn = entered
            case .answered(let result): return result
            }
        }
        let recheck = turn.recheck
        let result = try runTurn(&turn) { try body(recheck) }
        try finishTurn(turn, writing: writing)
        return result
    }

    /// A write transaction's place in the writers' line, and what it did there.
    private struct Turn {
        let begin: String
        /// Runs the writes other connections offer (only a transaction that is itself an offered write).
        let runsOffers: Bool
        /// The queue whose turn this is; nil for an unqueued write or a read.
        var queued: WriterTurnstile?
        /// A writer that had taken this one's offered write died: the body checks what it did.
        var recheck = false
        /// The transaction was begun while going without the queue.
        var begun = false
        /// The offered writes run in this turn, with their answers.
        var served: [(ticket: UInt32, answer: [UInt8])] = []
    }

    private enum LineEntry<T> {
        case turn(Turn)
        /// Another writer ran the offered write and answered: the result, in no transaction.
        case answered(T)
    }

    /// Runs `body` in a savepoint of the rehearsal or group of writes this connection is in.
    private func nested<T>(_ body: () throws -> T) throws -> T {
        if isRehearsing { rehearsalDepth += 1 } else { groupDepth += 1 }
        defer { if isRehearsing { rehearsalDepth -= 1 } else { groupDepth -= 1 } }
        let name = "nested_\(rehearsalDepth + groupDepth)"
        try execute("SAVEPOINT \(name)")
        do {
            let result = try body()
            try execute("RELEASE \(name)")
            return result
        } catch {
            _ = try? execute("ROLLBACK TO \(name)")
            _ = try? execute("RELEASE \(name)")
            throw error
        }
    }

    /// Waits for this connection's turn to write, offering what `request` makes meanwhile; or
    /// takes the answer of the writer that ran it.
    private func enterLine<T>(
        _ begin: String, offering request: (() -> [UInt8])?, answered: (([UInt8]) throws -> T)?
    ) throws -> LineEntry<T> {
        var turn = Turn(begin: begin, runsOffers: answered != nil)
        guard let queue else { return .turn(turn) }
        let entry = queue.enter(
            timeout: busyTimeout, offering: answered == nil ? nil : request,
            withoutQueue: { self.beginAtOnce(begin) })
        switch entry {
        case .turn(let turnstile, let again): (turn.queued, turn.recheck) = (turnstile, again)
        case .unqueued(let alreadyBegun, let again, _): (turn.begun, turn.recheck) = (alreadyBegun, again)
        case .answered(let answer): return .answered(try answered!(answer))
        case .answeredUnflushed: throw flushFailure(code: SQLITE_IOERR | 4 << 8)  // SQLITE_IOERR_FSYNC
        case .timedOut:
            throw StoreError(
                code: .busy, message: "database is locked: another writer kept it for \(busyTimeout) s", sql: begin)
        }
        return .turn(turn)
    }

    /// BEGIN, `body`, the writes others offered to this turn, COMMIT; on an error, ROLLBACK and
    /// the offered writes handed back to their writers. The turn is given up either way.
    private func runTurn<T>(_ turn: inout Turn, _ body: () throws -> T) throws -> T {
        flushAfterTurn = turn.queued != nil
        defer {
            flushAfterTurn = false
            turn.queued?.leave(through: turn.served.last?.ticket)
        }
        if !turn.begun { try execute(turn.begin) }
        do {
            let result = try body()
            // Only a transaction that is itself an offered write (a sale) runs others: a
            // migration's, a restore's or the daemon's stays its own.
            if let queued = turn.queued, let offeredWrites, turn.runsOffers {
                turn.served = queued.takeOffers(limit: Self.offeredWritesPerTurn) { runOffered($0, by: offeredWrites) }
            }
            try execute("COMMIT")
            return result
        } catch {
            turn.queued?.handBack(turn.served)
            turn.served = []
            if isInTransaction { _ = try? execute("ROLLBACK") }
            throw error
        }
    }

    /// After the commit: the flush (also when the transaction wrote nothing: what it read, a sale
    /// replayed by its key, may be another writer's commit not yet flushed), then the answers to
    /// the writers whose writes this turn ran, then a checkpoint if one is due.
    private func finishTurn(_ turn: Turn, writing: Bool) throws {
        if writing, flushesCommits {
            do { try flushCommits() } catch {
                turn.queued?.answer(turn.served, flushed: false)
                throw error
            }
        }
        turn.queued?.answer(turn.served, flushed: true)
        checkpointIfDue()
    }

    /// Offered writes a turn runs at most besides its own.
    static let offeredWritesPerTurn = 32

    /// Runs an offered write in a savepoint of this connection's transaction: its answer, or the
    /// refusal for what it threw (its changes undone); nil hands it back to its writer, undone
    /// (as is a write whose answer would not fit in its slot).
    private func runOffered(_ request: [UInt8], by writes: OfferedWrites) -> [UInt8]? {
        struct AnswerTooLong: Error {}
        guard (try? execute("SAVEPOINT offered")) != nil else { return nil }
        do {
            let answer = try writes.run(request)
            guard answer.count <= OfferedWrite.capacity else { throw AnswerTooLong() }
            try execute("RELEASE offered")
            return answer
        } catch {
            _ = try? execute("ROLLBACK TO offered")
            _ = try? execute("RELEASE offered")
            return error is AnswerTooLong
                ? nil : writes.refusal(error).flatMap { $0.count <= OfferedWrite.capacity ? $0 : nil }
        }
    }

    /// Flushes the WAL to disk: once this returns, every transaction committed to the database
    /// so far, by any connection, survives a power cut. With FULL, a write transaction and a
    /// statement that commits on its own do this before they return; call it before what was
    /// read leaves the node (a push to central, an email), since another connection's commit is
    /// seen a moment before its writer has flushed it (and, with NORMAL, long before).
    public func flushCommits() throws {
        let code = syncWAL()
        guard code == SQLITE_OK else { throw flushFailure(code: code) }
    }

    /// A flush of the WAL that the disk did not confirm, with SQLite's `code` for it.
    private func flushFailure(code: Int32) -> StoreError {
        StoreError(
            code: ResultCode(rawValue: code),
            message:
                "the disk did not confirm a flush of \(path)-wal: what was committed last may not survive a power cut; check the disk"
        )
    }

    /// `fdatasync` of the WAL through SQLite's own handle (the file it writes, whatever happened
    /// to the path); SQLITE_OK when there is none.
    private func syncWAL() -> Int32 {
        guard let file = sqliteFile(SQLITE_FCNTL_JOURNAL_POINTER) else { return SQLITE_OK }
        return Self.sync(file)
    }

    /// SQLite's open file that `request` (`SQLITE_FCNTL_FILE_POINTER`, `…_JOURNAL_POINTER`) names.
    func sqliteFile(_ request: Int32) -> UnsafeMutablePointer<sqlite3_file>? {
        var file: UnsafeMutablePointer<sqlite3_file>?
        guard sqlite3_file_control(handle, "main", request, &file) == SQLITE_OK else { return nil }
        return file
    }

    /// `fdatasync` through SQLite's own method for `file`; SQLITE_OK when it is not open (no WAL
    /// yet: nothing committed through it).
    private static func sync(_ file: UnsafeMutablePointer<sqlite3_file>) -> Int32 {
        guard let sync = file.pointee.pMethods?.pointee.xSync else { return SQLITE_OK }
        return sync(file, SQLITE_SYNC_NORMAL)
    }

    /// SQLite's WAL hook, called once a commit of this connection is done and SQLite's write
    /// lock given back: notes the WAL's length, and flushes a commit made outside a turn (a
    /// statement on its own); a failed flush fails that statement.
    fileprivate func committed(walFrames frames: Int) -> Int32 {
        walFrames = frames
        return flushesCommits && !flushAfterTurn ? syncWAL() : SQLITE_OK
    }

    /// SQLite's commit hook: true (refuse) when a file of this connection was deleted under it,
    /// which is then reported to ``DetachedCommits``.
    fileprivate func refusesCommit() -> Bool {
        guard hasDetachedFiles(byName: false) else { return false }
        let files = detachedFiles()
        refusedCommit = files
        DetachedCommits.report(database: filename, files: files)
        return true
    }

    // MARK: Errors

    func error(code: Int32, sql: String?) -> StoreError {
        let extended = sqlite3_extended_errcode(handle)
        if let refusal = refusal(extended) { return refusal }
        if ResultCode(rawValue: extended) == .ioErrorShortRead { return .walCutShort(sql: sql) }
        return StoreError(
            code: ResultCode(rawValue: extended != SQLITE_OK ? extended : code),
            message: String(cString: sqlite3_errmsg(handle)), sql: sql)
    }
}

extension Database {
    /// The error of a commit this connection refused (``refusesCommit()``), when `extended` is
    /// that refusal's code.
    fileprivate func refusal(_ extended: Int32) -> StoreError? {
        guard ResultCode(rawValue: extended) == .constraintCommitHook, let files = refusedCommit else { return nil }
        refusedCommit = nil
        return .detached(files)
    }
}

@available(*, unavailable, message: "a connection is used from one thread at a time; open one per thread")
extension Database: Sendable {}

/// How a connection runs the writes other connections offer it (``Database/offeredWrites``).
public struct OfferedWrites {
    /// Runs one offered request inside the taking connection's transaction, in a savepoint of
    /// its own; returns the answer for the offering connection.
    public let run: ([UInt8]) throws -> [UInt8]
    /// The answer for an error `run` threw, its changes undone; nil hands the request back to
    /// the connection that offered it, which then runs it itself.
    public let refusal: (any Error) -> [UInt8]?

    public init(run: @escaping ([UInt8]) throws -> [UInt8], refusal: @escaping (any Error) -> [UInt8]?) {
        self.run = run
        self.refusal = refusal
    }
}
