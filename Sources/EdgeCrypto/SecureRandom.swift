import COpenSSL
import Glibc
import Synchronization

/// Cryptographically secure random bytes from OpenSSL's generator (seeded by the kernel): what
/// tokens, salts, ids and ticket codes need.
///
/// Requests of up to ``pooledLimit`` bytes are served from a buffer that one `RAND_bytes` call
/// fills with 4 KiB: a call costs far more than the ten bytes an id takes, and a sale takes
/// four ids. Bytes handed out are wiped from the buffer, and a forked process never serves the
/// bytes its parent buffered. Larger requests go to `RAND_bytes` directly.
public enum SecureRandom {
    /// The largest request served from the buffer.
    public static let pooledLimit = 64

    /// `count` random bytes. Without a working generator the process stops rather than hand out
    /// guessable tokens.
    public static func bytes(_ count: Int) -> [UInt8] {
        guard count <= pooledLimit else { return generated(count) }
        return pool.withLock { $0.take(count) }
    }

    private static let pool = Mutex(Pool())

    fileprivate static func generated(_ count: Int) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: count)
        precondition(count == 0 || RAND_bytes(&bytes, Int32(count)) == 1, "OpenSSL's random generator failed")
        return bytes
    }
}

/// Random bytes not yet handed out, and the process that generated them.
private struct Pool {
    var bytes = [UInt8]()
    var offset = 0
    var owner: pid_t = 0

    mutating func take(_ count: Int) -> [UInt8] {
        let process = getpid()
        if process != owner || offset + count > bytes.count {
            bytes = SecureRandom.generated(4096)
            offset = 0
            owner = process
        }
        let taken = Array(bytes[offset..<offset + count])
        for index in offset..<offset + count { bytes[index] = 0 }
        offset += count
        return taken
    }
}
