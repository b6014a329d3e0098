import COpenSSL
import Glibc
import Synchronization

/// Cryptographically secure random bytes from the kernel's generator (`getrandom(2)`, which
/// OpenSSL seeds its own from): what tokens, salts, ids and ticket codes need.
///
/// The kernel rather than OpenSSL's `RAND_bytes`: OpenSSL 3 sets up its generator (provider,
/// seed source, DRBG) on a process's first call, a large share of a short `boxoffice sell`
/// process (BENCHMARKS.md, "One sale from the command line"); the kernel's is ready at once and as
/// strong.
///
/// Requests of up to ``pooledLimit`` bytes are served from a 4 KiB buffer that one call fills: a
/// sale takes four ids of ten bytes. Bytes handed out are wiped from the buffer, and a forked
/// process never serves the bytes its parent buffered. Larger requests go to the kernel directly.
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

    /// `count` bytes from `getrandom`, which blocks only until the kernel's generator is first
    /// seeded after boot, and returns fewer bytes than asked only when a signal interrupts it.
    fileprivate static func generated(_ count: Int) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: count)
        bytes.withUnsafeMutableBytes { buffer in
            var filled = 0
            while filled < count {
                let got = getrandom(buffer.baseAddress! + filled, count - filled, 0)
                if got < 0 {
                    precondition(errno == EINTR, "the kernel's random generator failed (errno \(errno))")
                    continue
                }
                filled += got
            }
        }
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
