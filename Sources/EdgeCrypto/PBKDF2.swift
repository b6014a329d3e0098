import COpenSSL

/// PBKDF2 (RFC 8018, section 5.2) with HMAC-SHA-256, computed by OpenSSL's libcrypto.
public enum PBKDF2 {
    /// Errors for parameters PBKDF2 cannot accept.
    public enum ParameterError: Error, Equatable, Sendable {
        /// Iterations must be at least 1.
        case iterationsOutOfRange(Int)
        /// The derived key must be 1 to 1,024 bytes.
        case keyLengthOutOfRange(Int)
    }

    /// Derives `keyByteCount` bytes from `password` and `salt` with `iterations` rounds.
    public static func deriveKey(
        password: some Collection<UInt8>, salt: some Collection<UInt8>, iterations: Int, keyByteCount: Int
    ) throws(ParameterError) -> [UInt8] {
        guard (1...Int(Int32.max)).contains(iterations) else { throw .iterationsOutOfRange(iterations) }
        guard (1...1024).contains(keyByteCount) else { throw .keyLengthOutOfRange(keyByteCount) }
        let password = Array(password)
        let salt = Array(salt)
        var derived = [UInt8](repeating: 0, count: keyByteCount)
        let done = password.withUnsafeBytes { passwordBytes in
            salt.withUnsafeBytes { saltBytes in
                PKCS5_PBKDF2_HMAC(
                    passwordBytes.baseAddress?.assumingMemoryBound(to: CChar.self), Int32(passwordBytes.count),
                    saltBytes.baseAddress?.assumingMemoryBound(to: UInt8.self), Int32(saltBytes.count),
                    Int32(iterations), EVP_sha256(), Int32(keyByteCount), &derived)
            }
        }
        precondition(done == 1, "OpenSSL could not derive a PBKDF2 key")
        return derived
    }
}
