import COpenSSL

/// SHA-256 (FIPS 180-4), computed by OpenSSL's libcrypto (its low-level functions: see
/// `copenssl_sha256`).
///
/// ```swift
/// let digest = SHA256.hash(Array("abc".utf8))   // 32 bytes
/// ```
public enum SHA256 {
    /// Digest length in bytes.
    public static let digestByteCount = 32

    /// The digest of `bytes`.
    public static func hash(_ bytes: some Collection<UInt8>) -> [UInt8] {
        let input = Array(bytes)
        var digest = [UInt8](repeating: 0, count: digestByteCount)
        let done = input.withUnsafeBytes { data in copenssl_sha256(data.baseAddress, data.count, &digest) }
        precondition(done == 1, "OpenSSL could not compute a SHA-256 digest")
        return digest
    }
}
