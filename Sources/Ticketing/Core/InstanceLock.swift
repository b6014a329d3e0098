import EdgeStore

#if canImport(Glibc)
    import Glibc
#endif

/// One owner at a time for a node database's sync and restore: an exclusive `flock` on
/// `REALPATH.syncd.lock` (named after the database's real path, so a symlink leads to the same
/// lock) and, while the database exists, on `.syncd-DEVICE-INODE.lock` beside it (named after
/// the file itself, whatever name leads to it). Both are released by the kernel however the
/// owner ends (SIGKILL included). A database with more than one name (hard links) is refused:
/// SQLite would keep a WAL for each name.
public final class InstanceLock {
    /// The lock is taken: who holds it.
    public struct Busy: Error, Sendable, Equatable {
        /// The database as given.
        public let databasePath: String
        /// What the holder wrote: `venue-syncd` or `boxoffice restore`.
        public let holder: String
        public let pid: Int32?
    }

    private let descriptors: [Int32]

    /// Takes the lock for `owner`, or throws ``Busy``, a refusal of a hard-linked database, or an
    /// I/O error, at once.
    public init(databasePath: String, owner: String) throws {
        let real = Self.realPath(databasePath)
        var paths = [real + ".syncd.lock"]
        var info = stat()
        if stat(real, &info) == 0 {
            guard info.st_nlink <= 1 else {
                throw TicketingError.rejected(
                    code: "hard_linked", message: StoreError.hardLinked(databasePath, names: Int(info.st_nlink)).message
                )
            }
            let folder = real.lastIndex(of: "/").map { String(real[..<$0]) } ?? "."
            paths.append("\(folder.isEmpty ? "" : folder)/.syncd-\(info.st_dev)-\(info.st_ino).lock")
        }
        var taken = [Int32]()
        do {
            for path in paths { taken.append(try Self.take(path, for: owner, databasePath: databasePath)) }
        } catch {
            for descriptor in taken { close(descriptor) }
            throw error
        }
        descriptors = taken
    }

    deinit { for descriptor in descriptors { close(descriptor) } }

    /// Opens `path`, takes its `flock` and writes the owner in it; the open descriptor.
    private static func take(_ path: String, for owner: String, databasePath: String) throws -> Int32 {
        let descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0o600)
        guard descriptor >= 0 else {
            throw TicketingError.rejected(
                code: "io_error", message: "cannot open \(path): \(String(cString: strerror(errno)))")
        }
        guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
            var buffer = [UInt8](repeating: 0, count: 64)
            let count = pread(descriptor, &buffer, buffer.count, 0)
            close(descriptor)
            let words = String(decoding: buffer.prefix(max(0, count)), as: UTF8.self).split(
                whereSeparator: \.isWhitespace)
            let holder = words.dropFirst().joined(separator: " ")
            throw Busy(
                databasePath: databasePath, holder: holder.isEmpty ? "venue-syncd" : holder,
                pid: words.first.flatMap { Int32($0) })
        }
        ftruncate(descriptor, 0)
        let text = Array("\(getpid()) \(owner)\n".utf8)
        _ = text.withUnsafeBytes { pwrite(descriptor, $0.baseAddress, $0.count, 0) }
        return descriptor
    }

    /// The canonical path: symlinks resolved; for a file that does not exist yet, its folder's.
    static func realPath(_ path: String) -> String {
        if let resolved = realpath(path, nil) {
            defer { free(resolved) }
            return String(cString: resolved)
        }
        let slash = path.lastIndex(of: "/")
        let folder = slash.map { String(path[..<$0]) }.flatMap { $0.isEmpty ? "/" : $0 } ?? "."
        let name = slash.map { String(path[path.index(after: $0)...]) } ?? path
        guard let resolved = realpath(folder, nil) else { return path }
        defer { free(resolved) }
        return String(cString: resolved) + "/" + name
    }
}
