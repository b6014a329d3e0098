import COpenSSL

/// An Ed25519 signing key (RFC 8032), held by OpenSSL's libcrypto: one `EVP_PKEY` owned by this
/// instance, made in `init` and freed in `deinit`. Signing reads the key only, so one instance may
/// sign from several threads; each signature sets up a context of its own.
///
/// ```swift
/// let key = Ed25519PrivateKey(seed: SecureRandom.bytes(32))!
/// let signature = key.signature(for: Array("ticket".utf8))            // 64 bytes
/// Ed25519.isValid(signature, of: Array("ticket".utf8), publicKey: key.publicKey)   // true
/// ```
public final class Ed25519PrivateKey: @unchecked Sendable {
    // @unchecked: the handle is only read after `init` (OpenSSL's key objects are safe to share
    // for reading), and freed once, in `deinit`.
    private let key: OpaquePointer
    /// The 32-byte public key.
    public let publicKey: [UInt8]

    /// The key whose 32-byte private seed is `seed` (RFC 8032, section 5.1.5); nil for another length.
    public init?(seed: [UInt8]) {
        guard seed.count == Ed25519.seedByteCount,
            let key = seed.withUnsafeBufferPointer({
                EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, nil, $0.baseAddress, $0.count)
            })
        else { return nil }
        var publicKey = [UInt8](repeating: 0, count: Ed25519.publicKeyByteCount)
        var count = publicKey.count
        guard EVP_PKEY_get_raw_public_key(key, &publicKey, &count) == 1, count == publicKey.count else {
            EVP_PKEY_free(key)
            return nil
        }
        self.key = key
        self.publicKey = publicKey
    }

    deinit { EVP_PKEY_free(key) }

    /// The 32-byte private seed: the secret itself, for the key's file.
    public var seed: [UInt8] {
        var seed = [UInt8](repeating: 0, count: Ed25519.seedByteCount)
        var count = seed.count
        let done = EVP_PKEY_get_raw_private_key(key, &seed, &count)
        precondition(done == 1 && count == seed.count, "OpenSSL could not read an Ed25519 key")
        return seed
    }

    /// A new key from the kernel's random generator.
    public static func generate() -> Ed25519PrivateKey {
        guard let key = Ed25519PrivateKey(seed: SecureRandom.bytes(Ed25519.seedByteCount)) else {
            preconditionFailure("OpenSSL could not make an Ed25519 key")
        }
        return key
    }

    /// The 64-byte signature of `message`. Ed25519 is deterministic: the same key and message
    /// always give the same signature.
    public func signature(for message: [UInt8]) -> [UInt8] {
        guard let context = EVP_MD_CTX_new() else { preconditionFailure("OpenSSL could not allocate a context") }
        defer { EVP_MD_CTX_free(context) }
        var signature = [UInt8](repeating: 0, count: Ed25519.signatureByteCount)
        var count = signature.count
        let done = message.withUnsafeBufferPointer { bytes in
            EVP_DigestSignInit(context, nil, nil, nil, key) == 1
                && EVP_DigestSign(context, &signature, &count, bytes.baseAddress, bytes.count) == 1
        }
        precondition(done && count == signature.count, "OpenSSL could not make an Ed25519 signature")
        return signature
    }
}

/// Ed25519 verification and sizes.
public enum Ed25519 {
    /// A private seed's length.
    public static let seedByteCount = 32
    /// A public key's length.
    public static let publicKeyByteCount = 32
    /// A signature's length.
    public static let signatureByteCount = 64

    /// True when `signature` is `publicKey`'s signature of `message`. A key or signature of the
    /// wrong length, or a public key that is not a curve point, is simply not valid.
    public static func isValid(_ signature: [UInt8], of message: [UInt8], publicKey: [UInt8]) -> Bool {
        guard signature.count == signatureByteCount, publicKey.count == publicKeyByteCount,
            let key = publicKey.withUnsafeBufferPointer({
                EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nil, $0.baseAddress, $0.count)
            })
        else {
            ERR_clear_error()
            return false
        }
        defer { EVP_PKEY_free(key) }
        guard let context = EVP_MD_CTX_new() else { return false }
        defer { EVP_MD_CTX_free(context) }
        let valid = message.withUnsafeBufferPointer { bytes in
            EVP_DigestVerifyInit(context, nil, nil, nil, key) == 1
                && EVP_DigestVerify(context, signature, signature.count, bytes.baseAddress, bytes.count) == 1
        }
        // A refusal leaves its reason on the thread's OpenSSL error queue, where a later TLS call
        // (the mail relay's) would find it: cleared here.
        if !valid { ERR_clear_error() }
        return valid
    }
}
