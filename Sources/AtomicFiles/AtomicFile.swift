#if canImport(Glibc)
    import Glibc
#endif

/// Writes a whole file or nothing: a temporary file in the same folder, fsync, rename, fsync of
/// the folder. A crash leaves the old file or the new one, never a torn one.
public enum AtomicFile {
    /// Writes `bytes` to `path` with `mode` permissions (0600 by default).
    ///
    /// The temporary file is made new (`O_EXCL`, `O_NOFOLLOW`) under a name no one can guess:
    /// in a folder others may write, a file or symlink planted under the name it will take is
    /// never written through, and the rename replaces a symlink at `path` rather than following it.
    public static func write(_ bytes: [UInt8], to path: String, mode: mode_t = 0o600) throws {
        var temporary = ""
        var descriptor: Int32 = -1
        for _ in 0..<8 {
            temporary = path + ".tmp-\(getpid())-\(String(UInt64.random(in: 0...UInt64.max), radix: 36))"
            descriptor = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode)
            guard descriptor < 0, errno == EEXIST else { break }
        }
        guard descriptor >= 0 else { throw failure("cannot create \(temporary)") }
        var written = 0
        let ok = bytes.withUnsafeBytes { buffer -> Bool in
            while written < buffer.count {
                let result = Glibc.write(descriptor, buffer.baseAddress! + written, buffer.count - written)
                if result < 0 {
                    if errno == EINTR { continue }
                    return false
                }
                written += result
            }
            return true
        }
        fchmod(descriptor, mode)
        let synced = fsync(descriptor) == 0
        close(descriptor)
        guard ok, synced, rename(temporary, path) == 0 else {
            unlink(temporary)
            throw failure("cannot write \(path)")
        }
        let folder = folder(of: path)
        let folderDescriptor = open(folder.isEmpty ? "." : folder, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if folderDescriptor >= 0 {
            fsync(folderDescriptor)
            close(folderDescriptor)
        }
    }

    /// The folder `path` names a file in, as `dirname` without its `.`: `a/b` → `a`, `/b` → `/`,
    /// `b` → empty.
    public static func folder(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "" }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }

    /// Creates `path` and missing parents with `mode` (0700 by default).
    public static func makeDirectory(_ path: String, mode: mode_t = 0o700) throws {
        var prefix = path.hasPrefix("/") ? "" : "."
        for component in path.split(separator: "/") {
            prefix += "/" + component
            if mkdir(prefix, mode) != 0, errno != EEXIST { throw failure("cannot create folder \(prefix)") }
        }
    }

    private static func failure(_ message: String) -> AtomicFileError {
        AtomicFileError(message: "\(message): \(String(cString: strerror(errno)))")
    }
}

/// A file or folder could not be written; the message names it and says why.
public struct AtomicFileError: Error, Equatable, Sendable, CustomStringConvertible {
    public let message: String
    public var description: String { message }
}
