import COpenSSL

/// HMAC-SHA-256 (RFC 2104), computed by OpenSSL's libcrypto; checked against the vectors of RFC 4231.
///
/// ```swift
/// let tag = HMACSHA256.authenticationCode(for: Array("message".utf8), key: Array("secret".utf8))
/// ```
public enum HMACSHA256 {
    /// The 32-byte authentication code of `message` under `key`.
    public static func authenticationCode(for message: some Collection<UInt8>, key: some Collection<UInt8>) -> [UInt8] {
        let message = Array(message)
        let key = Array(key)
        var code = [UInt8](repeating: 0, count: SHA256.digestByteCount)
        var length: UInt32 = 0
        let result = key.withUnsafeBytes { keyBytes in
            message.withUnsafeBytes { messageBytes in
                HMAC(
                    EVP_sha256(), keyBytes.baseAddress, Int32(keyBytes.count),
                    messageBytes.baseAddress?.assumingMemoryBound(to: UInt8.self),
                    messageBytes.count, &code, &length)
            }
        }
        precondition(result != nil && length == SHA256.digestByteCount, "OpenSSL could not compute an HMAC")
        return code
    }
}
