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
        /// What became of a file.
        public enum Change: Sendable, Equatable {
            /// Deleted: its link count is 0.
            case deleted
            /// Renamed or moved: nothing has its name now.
            case movedAway
            /// Another file has its name (a restore, a copy moved over it).
            case replaced
        }

        /// The path SQLite opened.
        public let path: String
        public let change: Change

        public var description: String {
            switch change {
            case .deleted: "\(path) was deleted while open"
            case .movedAway: "\(path) was renamed or moved away while open"
            case .replaced: "\(path) was replaced by another file while open"
            }
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

    /// The database file, WAL and shared memory (`-shm`) this connection has open that were
    /// deleted or replaced under it: what it writes there no other connection will read, and a
    /// `-shm` of its own next to another process's new one lets each overwrite the other's WAL
    /// frames. Empty when all is well (a file not yet opened counts as well).
    ///
    /// Each file is looked at through the descriptor SQLite opened it with (its link count, device
    /// and inode: ``batched_wal_identity``) and compared with what its path names now (which
    /// opens nothing).
    public func detachedFiles() -> [DetachedFile] {
        var detached = [DetachedFile]()
        _ = lookAtFiles(byName: true) { file, change in
            detached.append(DetachedFile(path: filenames.names[file], change: change))
            return true
        }
        return detached
    }

    /// True when ``detachedFiles()`` would not be empty, found without building it; with `byName`
    /// false, only a file deleted counts (its link count, from its descriptor alone, which is all
    /// each commit asks: a look at each path costs three times as much, and a file renamed away
    /// or replaced is left to those who look between writes).
    func hasDetachedFiles(byName: Bool = true) -> Bool { lookAtFiles(byName: byName) { _, _ in false } }

    /// Hands each detached file (its index in ``DatabaseFilenames``) to `body` while it returns
    /// true; true when one was found. With `byName` false, only deleted files are looked for.
    private func lookAtFiles(byName: Bool, _ body: (Int, DetachedFile.Change) -> Bool) -> Bool {
        guard let main = sqliteFile(SQLITE_FCNTL_FILE_POINTER), main.pointee.pMethods != nil else { return false }
        var identities = (BatchedWALIdentity(), BatchedWALIdentity(), BatchedWALIdentity())
        let opened = (
            batched_wal_identity(batched_wal_descriptor(main), &identities.0) == 0,
            sqliteFile(SQLITE_FCNTL_JOURNAL_POINTER).map {
                $0.pointee.pMethods != nil && batched_wal_identity(batched_wal_descriptor($0), &identities.1) == 0
            } ?? false,
            batched_wal_shm_identity(main, &identities.2) == 1
        )
        var found = false
        for (index, isOpen, identity) in [
            (0, opened.0, identities.0), (1, opened.1, identities.1), (2, opened.2, identities.2),
        ] where isOpen {
            let change =
                byName ? filenames.change(of: identity, at: index) : identity.links == 0 ? .deleted : nil
            guard let change else { continue }
            found = true
            guard body(index, change) else { return true }
        }
        return found
    }
}

/// The names of a connection's database file, `-wal` and `-shm` (in that order), as SQLite made
/// them, also as C strings.
struct DatabaseFilenames {
    let names: [String]
    private let cNames: [ContiguousArray<CChar>]

    init(_ database: String) {
        names = [database, database + "-wal", database + "-shm"]
        cNames = names.map(\.utf8CString)
    }

    /// What became of file `index`, open as `opened`, when it is no longer the one its name
    /// names; nil when it still is.
    func change(of opened: BatchedWALIdentity, at index: Int) -> Database.DetachedFile.Change? {
        if opened.links == 0 { return .deleted }
        var named = BatchedWALIdentity()
        guard cNames[index].withUnsafeBufferPointer({ batched_wal_identity_at($0.baseAddress!, &named) }) == 0 else {
            // Another failure (a folder this user may no longer search) tells nothing of the file.
            return errno == ENOENT || errno == ENOTDIR ? .movedAway : nil
        }
        return named.device == opened.device && named.inode == opened.inode ? nil : .replaced
    }
}
