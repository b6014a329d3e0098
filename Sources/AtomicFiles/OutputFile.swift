#if canImport(Glibc)
    import Glibc
#endif

/// A file an operator names for a command to write (a scan list, printed tickets, a seat map, a
/// snapshot, an export): one rule for every one of them.
///
/// - Never one of the files a tool owns (``ProtectedFiles``): whatever name leads to it (a
///   symlink, a hard link, `./` or a folder reached another way), compared by device and inode;
///   and, for names the tool makes later, by the folder's device and inode and the name.
/// - Never a folder, a device, a pipe or a socket: the file is written beside the name and renamed
///   over it, which would put a plain file where `/dev/null` was.
/// - Never over an existing file unless the caller says to replace it (`gzip`, `zstd` and `xz`
///   ask for `--force` the same way): a mistyped name costs a retyped command, not a file.
/// - Written whole or not at all (``AtomicFile``): a symlink at the name is replaced, not followed.
public struct OutputFile: Sendable {
    public let path: String

    /// The output at `path`, checked; `replacing` lets it take the place of an existing regular file.
    public init(_ path: String, replacing: Bool, protecting protected: ProtectedFiles) throws {
        self.path = path
        let name = path.split(separator: "/", omittingEmptySubsequences: false).last.map(String.init) ?? ""
        guard !name.isEmpty, name != ".", name != ".." else {
            throw OutputFileError(path: path, kind: .notAFile, message: "\(path) names a folder, not a file")
        }
        var link = stat()
        var target = stat()
        let exists = lstat(path, &link) == 0
        let resolves = stat(path, &target) == 0
        if resolves, target.st_mode & S_IFMT != S_IFREG {
            throw OutputFileError(
                path: path, kind: .notAFile,
                message: "\(path) is \(Self.kind(of: target.st_mode)), not a file a command may write over")
        }
        if let owned = protected.owner(of: path, resolved: resolves ? target : nil) {
            throw OutputFileError(
                path: path, kind: .protected,
                message: "\(path) is \(owned): choose another name")
        }
        if exists, !replacing {
            throw OutputFileError(path: path, kind: .exists, message: "\(path) already exists")
        }
    }

    /// Writes `bytes` in the file's place, whole or not at all, with `mode` (0600 by default).
    public func write(_ bytes: [UInt8], mode: mode_t = 0o600) throws {
        try AtomicFile.write(bytes, to: path, mode: mode)
    }

    private static func kind(of mode: mode_t) -> String {
        switch mode & S_IFMT {
        case S_IFDIR: "a folder"
        case S_IFCHR, S_IFBLK: "a device"
        case S_IFIFO: "a pipe"
        case S_IFSOCK: "a socket"
        default: "not a regular file"
        }
    }
}

/// The files a tool owns and no output may take the place of: files by path (the database, its
/// key file, the session and settings files), and names in a folder by a rule (every file the
/// tool keeps beside its database, including those it has not made yet).
public struct ProtectedFiles: Sendable {
    /// A folder and the names in it that are the tool's.
    public struct Names: Sendable {
        public let folder: String
        public let owns: @Sendable (String) -> Bool

        public init(in folder: String, owns: @escaping @Sendable (String) -> Bool) {
            self.folder = folder
            self.owns = owns
        }
    }

    /// Whose files they are, for errors: `one of the node's own files`.
    public let description: String
    public let files: [String]
    public let names: [Names]

    public init(_ description: String, files: [String], names: [Names] = []) {
        self.description = description
        self.files = files
        self.names = names
    }

    /// Protects nothing.
    public static let none = ProtectedFiles("", files: [])

    /// The description when `path` (which names `resolved`, when it exists) is one of the files,
    /// else nil. Looks with `stat` only: nothing is opened (a close would drop a process's SQLite
    /// locks on a database it has open).
    func owner(of path: String, resolved: stat?) -> String? {
        if let resolved {
            for file in files {
                var info = stat()
                if stat(file, &info) == 0, info.st_dev == resolved.st_dev, info.st_ino == resolved.st_ino {
                    return description
                }
            }
        }
        let (folder, name) = Self.split(path)
        var here = stat()
        guard stat(folder, &here) == 0 else { return nil }
        func isHere(_ other: String) -> Bool {
            var info = stat()
            return stat(other, &info) == 0 && info.st_dev == here.st_dev && info.st_ino == here.st_ino
        }
        for file in files {
            let (otherFolder, otherName) = Self.split(file)
            if otherName == name, isHere(otherFolder) { return description }
        }
        for rule in names where rule.owns(name) && isHere(rule.folder) { return description }
        return nil
    }

    /// The folder (`.` when none) and the last name of `path`.
    static func split(_ path: String) -> (folder: String, name: String) {
        let folder = AtomicFile.folder(of: path)
        let name = path.split(separator: "/", omittingEmptySubsequences: false).last.map(String.init) ?? path
        return (folder.isEmpty ? "." : folder, name)
    }
}

/// An output a command was told to write was refused; the message names it and says why.
public struct OutputFileError: Error, Equatable, Sendable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable {
        /// A file is there, and the command was not told to replace it.
        case exists
        /// One of the tool's own files.
        case protected
        /// A folder, a device, a pipe or a socket.
        case notAFile
    }

    public let path: String
    public let kind: Kind
    public let message: String
    public var description: String { message }

    public init(path: String, kind: Kind, message: String) {
        self.path = path
        self.kind = kind
        self.message = message
    }
}
