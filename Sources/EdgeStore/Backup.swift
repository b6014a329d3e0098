import CSQLite

#if canImport(Glibc)
    import Glibc
#endif

extension Database {
    /// Copies the whole database, consistently, into a new file at `destination` with SQLite's
    /// online backup API while other connections keep reading and writing.
    ///
    /// The copy is written to `destination.partial` first and renamed into place, so a crash
    /// never leaves a half-written snapshot under the final name. Refuses to overwrite a file.
    /// The copy is readable by its owner only.
    public func backup(to destination: String) throws {
        guard access(destination, F_OK) != 0 else {
            throw StoreError(code: .cannotOpen, message: "snapshot \(destination) already exists")
        }
        let partial = destination + ".partial"
        unlink(partial)
        try PrivateFile.create(partial)
        let file = try Self.openRaw(partial, flags: SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE)
        defer { sqlite3_close_v2(file) }
        try Self.copyAllPages(from: handle, to: file, describing: destination)
        try flushCommits()  // what the copy holds is on disk here too, whoever committed it
        guard rename(partial, destination) == 0 else {
            throw StoreError(code: .ioError, message: "cannot rename \(partial) to \(destination)")
        }
    }

    /// Replaces this database's content with the snapshot at `source` (the backup API in
    /// reverse). Other connections see the old or the new content, never a mix.
    ///
    /// SQLite copies into a WAL database only between equal page sizes: a snapshot whose pages
    /// are another size (one of a database made before 2 KiB pages) is copied aside next to
    /// this database and rewritten with this one's first.
    public func restore(from source: String) throws {
        let file = try Self.openRaw(source, flags: SQLITE_OPEN_READONLY)
        defer { sqlite3_close_v2(file) }
        let pages = try pageSize()
        if try Self.pageSize(of: file) != pages {
            let resized = path + ".resizing"
            let files = ["", "-wal", "-shm", "-writer"].map { resized + $0 }
            for name in files { unlink(name) }
            defer { for name in files { unlink(name) } }
            try PrivateFile.create(resized)
            do {
                let copy = try Self.openRaw(resized, flags: SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE)
                defer { sqlite3_close_v2(copy) }
                try Self.copyAllPages(from: file, to: copy, describing: source)
            }
            try Database(path: resized).changePageSize(to: pages)  // closed at once: the copy is read next
            return try restore(from: resized)
        }
        try Self.copyAllPages(from: file, to: handle, describing: source)
        try flushCommits()  // the backup API commits below SQLite's WAL hook
    }

    /// Replaces this database's content with the snapshot at `source`, as ``restore(from:)``
    /// does, with every other writer kept out from before `prepare` runs until the content is
    /// replaced: this connection takes the writers' turn, then SQLite's write lock (the backup's
    /// first step, which copies nothing), runs `prepare`, and copies. What `prepare` reads of
    /// this database, through other connections (this one is the copy's), is all it will ever
    /// hold; what it writes into `source` is copied. A writer that comes meanwhile waits (at most
    /// its busy timeout), then writes into the new content.
    ///
    /// `source` must have this database's page size (``changePageSize(to:)``).
    public func restore(from source: String, whileWritersWait prepare: () throws -> Void) throws {
        let file = try Self.openRaw(source, flags: SQLITE_OPEN_READONLY)
        defer { sqlite3_close_v2(file) }
        let pages = try pageSize()
        guard try Self.pageSize(of: file) == pages else {
            throw StoreError(code: .mismatch, message: "\(source) has pages of another size than \(path)'s \(pages)")
        }
        guard let backup = sqlite3_backup_init(handle, "main", file, "main") else {
            throw StoreError(
                code: ResultCode(rawValue: sqlite3_extended_errcode(handle)),
                message: "cannot copy \(source): \(String(cString: sqlite3_errmsg(handle)))")
        }
        var open = true
        defer { if open { sqlite3_backup_finish(backup) } }
        let deadline = BusyWait.monotonicNanoseconds() + UInt64(max(0, busyTimeout) * 1e9)
        // Locks this database for writing without copying a page; the lock is held until the copy.
        let lockNow = { sqlite3_backup_step(backup, 0) }
        var turnstile: WriterTurnstile?
        var locked = false
        if let queue {
            switch queue.enter(timeout: busyTimeout, offering: nil, withoutQueue: { lockNow() == SQLITE_OK }) {
            case .turn(let taken, _): turnstile = taken
            case .unqueued(let begun, _, _): locked = begun
            default:
                throw StoreError(
                    code: .busy, message: "database is locked: another writer kept it for \(busyTimeout) s")
            }
        }
        defer { turnstile?.leave() }
        if !locked {
            try Self.stepWhileBusy(backup, pages: 0, until: deadline, describing: source, expecting: SQLITE_OK)
        }
        try prepare()
        try Self.stepWhileBusy(backup, pages: -1, until: deadline, describing: source, expecting: SQLITE_DONE)
        open = false
        let code = sqlite3_backup_finish(backup)
        guard code == SQLITE_OK else {
            throw StoreError(
                code: ResultCode(rawValue: code),
                message: "copy of \(source) failed: \(String(cString: sqlite3_errstr(code)))")
        }
        try flushCommits()  // the backup API commits below SQLite's WAL hook
    }

    /// Steps `backup` by `pages` until it answers `expected`, trying again while a lock is taken
    /// until `deadline` (monotonic nanoseconds).
    private static func stepWhileBusy(
        _ backup: OpaquePointer, pages: Int32, until deadline: UInt64, describing path: String,
        expecting expected: Int32
    ) throws {
        var pause: UInt32 = 100
        while true {
            let code = sqlite3_backup_step(backup, pages)
            if code == expected { return }
            guard code == SQLITE_BUSY || code == SQLITE_LOCKED, BusyWait.monotonicNanoseconds() < deadline else {
                throw StoreError(
                    code: ResultCode(rawValue: code == SQLITE_OK || code == SQLITE_DONE ? SQLITE_ERROR : code),
                    message: "copy of \(path) failed: "
                        + (code == SQLITE_DONE ? "it has no pages" : String(cString: sqlite3_errstr(code))))
            }
            usleep(pause)
            pause = min(pause * 2, 10_000)
        }
    }

    private static func pageSize(of connection: OpaquePointer) throws -> Int {
        var statement: OpaquePointer?
        defer { sqlite3_finalize(statement) }
        guard sqlite3_prepare_v2(connection, "PRAGMA page_size", -1, &statement, nil) == SQLITE_OK,
            sqlite3_step(statement) == SQLITE_ROW
        else {
            throw StoreError(
                code: ResultCode(rawValue: sqlite3_extended_errcode(connection)),
                message: "cannot read the page size: \(String(cString: sqlite3_errmsg(connection)))")
        }
        return Int(sqlite3_column_int64(statement, 0))
    }

    private static func openRaw(_ path: String, flags: Int32) throws -> OpaquePointer {
        var connection: OpaquePointer?
        let code = sqlite3_open_v2(path, &connection, flags, nil)
        guard code == SQLITE_OK, let connection else {
            sqlite3_close_v2(connection)
            throw StoreError(code: ResultCode(rawValue: code), message: "cannot open \(path)")
        }
        return connection
    }

    /// Copies every page in one step, retrying for up to 10 s while the source is locked.
    private static func copyAllPages(from source: OpaquePointer, to target: OpaquePointer, describing path: String)
        throws
    {
        guard let backup = sqlite3_backup_init(target, "main", source, "main") else {
            throw StoreError(
                code: ResultCode(rawValue: sqlite3_extended_errcode(target)),
                message: "cannot copy \(path): \(String(cString: sqlite3_errmsg(target)))")
        }
        var code = SQLITE_OK
        for _ in 0..<10_000 {
            code = sqlite3_backup_step(backup, -1)
            guard code == SQLITE_BUSY || code == SQLITE_LOCKED else { break }
            usleep(1_000)
        }
        sqlite3_backup_finish(backup)
        guard code == SQLITE_DONE else {
            throw StoreError(
                code: ResultCode(rawValue: code),
                message: "copy of \(path) failed: \(String(cString: sqlite3_errstr(code)))")
        }
    }
}
