#if canImport(Glibc)
    import Glibc
#endif

/// One owner at a time for a node database's sync and restore: an exclusive `flock` on
/// `REALPATH.syncd.lock`, named after the database's real path (a symlink leads to the same
/// lock), released by the kernel however the owner ends (SIGKILL included).
public final class InstanceLock {
    /// The lock is taken: who holds it.
    public struct Busy: Error, Sendable, Equatable {
        /// The database as given.
        public let databasePath: String
        /// What the holder wrote: `venue-syncd` or `boxoffice restore`.
        public let holder: String
        public let pid: Int32?
    }

    private let descriptor: Int32

    /// Takes the lock for `owner`, or throws ``Busy`` (or an I/O error) at once.
    public init(databasePath: String, owner: String) throws {
        let path = Self.realPath(databasePath) + ".syncd.lock"
        descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else {
            throw TicketingError.rejected(
                code: "io_error", message: "cannot open \(path): \(String(cString: strerror(errno)))")
        }
        guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
            var buffer = [UInt8](repeating: 0, count: 64)
            let count = pread(descriptor, &buffer, buffer.count, 0)
            let words = String(decoding: buffer.prefix(max(0, count)), as: UTF8.self).split(
                whereSeparator: \.isWhitespace)
            // Not closed here: Swift runs `deinit` for an instance whose `init` throws after
            // every property is set, and `deinit` closes it. Closed here as well, it was closed
            // twice, and in between another thread could have opened a file under its number.
            throw Busy(
                databasePath: databasePath,
                holder: words.dropFirst().joined(separator: " ").isEmpty
                    ? "venue-syncd"
                    : words.dropFirst().joined(separator: " "), pid: words.first.flatMap { Int32($0) })
        }
        ftruncate(descriptor, 0)
        let text = Array("\(getpid()) \(owner)\n".utf8)
        _ = text.withUnsafeBytes { pwrite(descriptor, $0.baseAddress, $0.count, 0) }
    }

    deinit { if descriptor >= 0 { close(descriptor) } }

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
