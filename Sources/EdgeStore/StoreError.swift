import CSQLite

/// An SQLite result code, extended where SQLite gives one (`SQLITE_BUSY_SNAPSHOT`, `SQLITE_CONSTRAINT_UNIQUE`…).
public struct ResultCode: Equatable, Hashable, Sendable, CustomStringConvertible {
    /// The raw extended result code.
    public let rawValue: Int32

    /// Wraps a raw (possibly extended) code.
    public init(rawValue: Int32) { self.rawValue = rawValue }

    /// The primary code: the low byte of an extended code (`SQLITE_CONSTRAINT_UNIQUE` → `SQLITE_CONSTRAINT`).
    public var primary: ResultCode { ResultCode(rawValue: rawValue & 0xff) }

    public static let ok = ResultCode(rawValue: SQLITE_OK)
    public static let error = ResultCode(rawValue: SQLITE_ERROR)
    public static let busy = ResultCode(rawValue: SQLITE_BUSY)
    public static let locked = ResultCode(rawValue: SQLITE_LOCKED)
    public static let readOnly = ResultCode(rawValue: SQLITE_READONLY)
    public static let ioError = ResultCode(rawValue: SQLITE_IOERR)
    public static let corrupt = ResultCode(rawValue: SQLITE_CORRUPT)
    public static let full = ResultCode(rawValue: SQLITE_FULL)
    public static let cannotOpen = ResultCode(rawValue: SQLITE_CANTOPEN)
    public static let constraint = ResultCode(rawValue: SQLITE_CONSTRAINT)
    public static let mismatch = ResultCode(rawValue: SQLITE_MISMATCH)
    public static let notADatabase = ResultCode(rawValue: SQLITE_NOTADB)
    public static let tooBig = ResultCode(rawValue: SQLITE_TOOBIG)
    public static let range = ResultCode(rawValue: SQLITE_RANGE)
    public static let constraintUnique = ResultCode(rawValue: SQLITE_CONSTRAINT | (8 << 8))
    public static let constraintPrimaryKey = ResultCode(rawValue: SQLITE_CONSTRAINT | (6 << 8))
    public static let constraintCheck = ResultCode(rawValue: SQLITE_CONSTRAINT | (1 << 8))
    public static let constraintForeignKey = ResultCode(rawValue: SQLITE_CONSTRAINT | (3 << 8))
    /// A commit the commit hook turned into a rollback.
    public static let constraintCommitHook = ResultCode(rawValue: SQLITE_CONSTRAINT | (2 << 8))
    /// The database file moved or was deleted since it was opened (`SQLITE_READONLY_DBMOVED`):
    /// also a write refused because files of the database were deleted or replaced.
    public static let readOnlyDatabaseMoved = ResultCode(rawValue: SQLITE_READONLY | (4 << 8))
    /// A read found a file shorter than expected (`SQLITE_IOERR_SHORT_READ`). SQLite reads the
    /// database file's missing pages as zeros, so this comes from the WAL: it holds fewer frames
    /// than the `-shm` index lists (see ``StoreError/walCutShort(sql:)``).
    public static let ioErrorShortRead = ResultCode(rawValue: SQLITE_IOERR | (2 << 8))

    /// SQLite's English name for the code, as `sqlite3_errstr` gives it.
    public var description: String { "\(rawValue) (\(String(cString: sqlite3_errstr(rawValue))))" }
}

/// An error from SQLite or from the store around it.
///
/// Carries SQLite's own extended result code, its message and the SQL that failed. Bound values
/// never appear in `description`, so errors can be logged without leaking customer data.
public struct StoreError: Error, Equatable, Sendable, CustomStringConvertible {
    /// SQLite's extended result code (`.error` for errors raised by the store itself).
    public let code: ResultCode
    /// SQLite's message, or the store's.
    public let message: String
    /// The statement that failed, when there was one.
    public let sql: String?

    /// An error with an explicit code.
    public init(code: ResultCode, message: String, sql: String? = nil) {
        self.code = code
        self.message = message
        self.sql = sql
    }

    /// The database file at `path` has `names` names (hard links). SQLite names its `-wal` and
    /// `-shm` after the name it was given, so each name gets a WAL of its own, and what is
    /// committed through one is lost to the others.
    public static func hardLinked(_ path: String, names: Int) -> StoreError {
        StoreError(
            code: .cannotOpen,
            message:
                "\(path) has \(names) names (hard links), and SQLite keeps a -wal for each name: what is written "
                + "through one is lost to the others; keep one name and remove the others "
                + "(find them with: find / -xdev -samefile \(path))")
    }

    /// A write refused, nothing committed, because `files` of the database were deleted or
    /// replaced under the connection: what it committed there no other connection would read.
    public static func detached(_ files: [Database.DetachedFile]) -> StoreError {
        StoreError(
            code: .readOnlyDatabaseMoved,
            message: files.map(\.description).joined(separator: "; ")
                + ": nothing was written; the database must be opened again")
    }

    /// The `-wal` holds fewer frames than its index (the `-shm`) lists: it was deleted (or cut
    /// short) while another process still had it open and wrote there, so this connection opened
    /// a new, empty one beside that process's index. Nothing was read or written; it passes once
    /// that process has closed the database or opened it again (the daemon does so on its own).
    public static func walCutShort(sql: String?) -> StoreError {
        StoreError(
            code: .ioErrorShortRead,
            message: "the -wal holds fewer frames than its index (-shm) lists: it was deleted or cut short while "
                + "another process had it open; nothing was written",
            sql: sql)
    }

    /// A write refused because files of the database were deleted or replaced under the
    /// connection (``detached(_:)``), or under another process (``walCutShort(sql:)``).
    public var isDetached: Bool { code == .readOnlyDatabaseMoved || code == .ioErrorShortRead }

    /// The writer lock stayed taken for longer than the busy timeout.
    public var isBusy: Bool { code.primary == .busy || code.primary == .locked }
    /// The values themselves were refused (a constraint, a type, a size): retrying the same
    /// values cannot help. Every other error (busy, a full disk, I/O, corruption) is operational.
    public var isDataError: Bool { [.constraint, .mismatch, .tooBig, .range].contains(code.primary) }

    /// A short word for an operational error, as sync health reports it (`disk_full`, `io_error`…).
    public var cause: String {
        if isDetached { return "store_detached" }
        return switch code.primary {
        case .full: "disk_full"
        case .ioError: "io_error"
        case .busy, .locked: "busy"
        case .corrupt, .notADatabase: "corrupt"
        case .readOnly: "read_only_file"
        case .cannotOpen: "cannot_open"
        default: "database_error"
        }
    }

    public var description: String {
        var text = "SQLite error \(code): \(message)"
        if let sql { text += " [\(sql)]" }
        return text
    }
}
