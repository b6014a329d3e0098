import CBatchedWAL
import CSQLite

#if canImport(Glibc)
    import Glibc
#endif

/// What a connection can tell about its files through SQLite's own descriptors.
///
/// Nothing else may open the database, its `-wal`, `-shm` or `-writer` to look at them: POSIX
/// advisory locks belong to the process, and any `close` of any descriptor of the file drops
/// every lock the process holds on it, SQLite's among them ("How To Corrupt An SQLite Database
/// File", §2.2). Another connection then believes it is the last one, checkpoints and deletes
/// the WAL this one still writes into.
extension Database {
    /// A file of this connection that is no longer the one its path names.
    public struct DetachedFile: Sendable, Equatable, CustomStringConvertible {
        /// The path SQLite opened.
        public let path: String
        /// True when the file was deleted (its link count is 0); false when another file now
        /// has its name (a restore, a copy moved over it).
        public let unlinked: Bool

        public var description: String {
            unlinked ? "\(path) was deleted while open" : "\(path) was replaced by another file while open"
        }
    }

    /// True when the database file starts as an SQLite database does, or is empty with all of it
    /// still in the WAL; read through SQLite's own descriptor. SQLite reads page 1 from the WAL
    /// when the WAL has a copy, so a database file overwritten in place would otherwise open and
    /// answer until the next checkpoint.
    public func storedHeaderIsSQLite() -> Bool {
        guard let file = sqliteFile(SQLITE_FCNTL_FILE_POINTER), let methods = file.pointee.pMethods?.pointee,
            let fileSize = methods.xFileSize, let read = methods.xRead
        else { return false }
        var size: sqlite3_int64 = 0
        guard fileSize(file, &size) == SQLITE_OK else { return false }
        guard size > 0 else { return true }
        var header = [UInt8](repeating: 0, count: 16)
        guard size >= 16, read(file, &header, 16, 0) == SQLITE_OK else { return false }
        return header == Array("SQLite format 3\u{0}".utf8)
    }

    /// The database file and WAL this connection has open that were deleted or replaced under
    /// it: what it writes there no other connection will read. Empty when all is well (a WAL not
    /// yet opened counts as well).
    public func detachedFiles() -> [DetachedFile] {
        var detached = [DetachedFile]()
        for (request, name) in [(SQLITE_FCNTL_FILE_POINTER, path), (SQLITE_FCNTL_JOURNAL_POINTER, path + "-wal")] {
            guard let file = sqliteFile(request), file.pointee.pMethods != nil else { continue }
            let descriptor = csqlite_unix_file_descriptor(batched_wal_underlying(file))
            var opened = stat()
            guard descriptor >= 0, fstat(descriptor, &opened) == 0 else { continue }
            if opened.st_nlink == 0 {
                detached.append(DetachedFile(path: name, unlinked: true))
                continue
            }
            var named = stat()
            if stat(name, &named) != 0 || named.st_dev != opened.st_dev || named.st_ino != opened.st_ino {
                detached.append(DetachedFile(path: name, unlinked: false))
            }
        }
        return detached
    }
}
