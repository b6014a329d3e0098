#if canImport(Glibc)
    import Glibc
#endif

/// Node databases hold password hashes and customers' personal data: they, their `-wal` and
/// `-shm` files and every copy of them are readable by their owner only (0600), whatever the umask.
/// SQLite gives `-wal` and `-shm` the mode of their database file, so creating the database 0600
/// is enough for those that come after.
enum PrivateFile {
    /// Creates an empty file at `path` with mode 0600, unless it exists.
    static func create(_ path: String) throws {
        let descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        if descriptor < 0 {
            guard errno == EEXIST else {
                throw StoreError(
                    code: .cannotOpen, message: "cannot create \(path): \(String(cString: strerror(errno)))")
            }
            return
        }
        fchmod(descriptor, 0o600)
        close(descriptor)
    }

    /// Takes every permission of group and others off `path` and its `-wal` and `-shm`, when
    /// they exist (a database made by an older build, or copied in with another mode).
    static func tighten(_ path: String) {
        for file in [path, path + "-wal", path + "-shm"] {
            var info = stat()
            guard stat(file, &info) == 0, info.st_mode & 0o077 != 0 else { continue }
            chmod(file, info.st_mode & 0o700)
        }
    }
}
