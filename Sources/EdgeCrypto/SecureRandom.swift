import COpenSSL

/// Cryptographically secure random bytes from OpenSSL's generator (seeded by the kernel), in one
/// call however many are asked: what tokens, salts, ids and ticket codes need.
public enum SecureRandom {
    /// `count` random bytes. Without a working generator the process stops rather than hand out
    /// guessable tokens.
    public static func bytes(_ count: Int) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: count)
        precondition(count == 0 || RAND_bytes(&bytes, Int32(count)) == 1, "OpenSSL's random generator failed")
        return bytes
    }
}
