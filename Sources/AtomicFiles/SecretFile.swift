#if canImport(Glibc)
    import Glibc
#endif

/// Files that hold a secret (the central password, an export's key, a login session's token):
/// one rule for every one a tool reads. Its owner alone may read or write it (no permission for
/// group or others, so 0600 or 0400); a file open to others may have given the secret away, and
/// is refused with the `chmod` that fixes it.
public enum SecretFile {
    /// True when `mode` gives group or others any permission.
    public static func isOpenToOthers(_ mode: mode_t) -> Bool { mode & 0o077 != 0 }

    /// The most a secret file may hold: a password or a key is far shorter.
    public static let maximumSize = 64 * 1024

    /// The bytes of the secret file at `path`, which `name` (the setting or option that named it)
    /// describes in errors. The mode checked is the one of the file read (`fstat` of the open
    /// file, not a second look at the path). Opened without blocking, so a FIFO or a device at the
    /// path is refused at once instead of waiting for a writer.
    public static func read(_ path: String, named name: String) throws -> [UInt8] {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY)
        guard descriptor >= 0 else {
            throw SecretFileError(message: "cannot read \(name) \(path): \(String(cString: strerror(errno)))")
        }
        defer { close(descriptor) }
        var info = stat()
        guard fstat(descriptor, &info) == 0, info.st_mode & S_IFMT == S_IFREG else {
            throw SecretFileError(message: "cannot read \(name) \(path): not a regular file")
        }
        guard !isOpenToOthers(info.st_mode) else {
            throw SecretFileError(
                message: "\(name) \(path) is open to other users (mode \(String(info.st_mode & 0o777, radix: 8))); "
                    + "a secret file must be its owner's alone: run chmod 600 \(path)")
        }
        var bytes = [UInt8]()
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = Glibc.read(descriptor, &buffer, buffer.count)
            if count < 0, errno == EINTR { continue }
            guard count >= 0 else {
                throw SecretFileError(message: "cannot read \(name) \(path): \(String(cString: strerror(errno)))")
            }
            if count == 0 { return bytes }
            bytes += buffer[..<count]
            guard bytes.count <= maximumSize else {
                throw SecretFileError(message: "cannot read \(name) \(path): larger than a secret file can be (64 KiB)")
            }
        }
    }
}

/// A secret file could not be read, or is open to other users; the message names it and says why.
public struct SecretFileError: Error, Equatable, Sendable, CustomStringConvertible {
    public let message: String
    public var description: String { message }
}
