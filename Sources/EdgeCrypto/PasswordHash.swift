/// Salted PBKDF2-HMAC-SHA256 password hashes, stored as `pbkdf2-sha256$ITERATIONS$SALT$HASH` (hex).
///
/// ```swift
/// let stored = PasswordHash.make(password: "s3cret-pass")
/// PasswordHash.verify(password: "s3cret-pass", against: stored)  // true
/// ```
/// The iteration count travels with each hash, so raising the default later leaves existing
/// hashes valid.
public enum PasswordHash {
    /// The default work factor: OWASP's floor for PBKDF2-HMAC-SHA256 in 2023 was 600,000; the
    /// project's requirement is at least 210,000. One login costs about 0.1 s on this hardware
    /// (OpenSSL's PBKDF2).
    public static let defaultIterations = 210_000
    static let scheme = "pbkdf2-sha256"
    static let saltByteCount = 16
    static let hashByteCount = 32

    /// A new hash of `password` with a fresh random salt.
    public static func make(password: String, iterations: Int = defaultIterations) -> String {
        let salt = SecureRandom.bytes(saltByteCount)
        let derived = derive(password: password, salt: salt, iterations: iterations)
        return "\(scheme)$\(iterations)$\(Hex.encode(salt))$\(Hex.encode(derived))"
    }

    /// True when `password` produces `stored`. Malformed stored values never verify.
    /// The final comparison is constant-time.
    public static func verify(password: String, against stored: String) -> Bool {
        let parts = stored.split(separator: "$", omittingEmptySubsequences: false)
        guard parts.count == 4, parts[0] == scheme,
            let iterations = Int(parts[1]), (1...10_000_000).contains(iterations),
            let salt = Hex.decode(String(parts[2])), let expected = Hex.decode(String(parts[3])),
            expected.count == hashByteCount
        else { return false }
        return ConstantTime.equals(derive(password: password, salt: salt, iterations: iterations), expected)
    }

    private static func derive(password: String, salt: [UInt8], iterations: Int) -> [UInt8] {
        // Parameters are validated above or constant; the derivation cannot fail with them.
        (try? PBKDF2.deriveKey(
            password: Array(password.utf8), salt: salt, iterations: iterations,
            keyByteCount: hashByteCount)) ?? []
    }
}
