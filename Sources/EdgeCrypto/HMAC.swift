/// HMAC-SHA-256 as specified in RFC 2104, checked against the vectors of RFC 4231.
///
/// ```swift
/// let tag = HMACSHA256.authenticationCode(for: Array("message".utf8), key: Array("secret".utf8))
/// ```
public struct HMACSHA256: Sendable {
    /// The hash state after absorbing `key XOR ipad`.
    let innerKeyed: SHA256State
    /// The hash state after absorbing `key XOR opad`.
    let outerKeyed: SHA256State

    /// Prepares the keyed inner and outer states; a key longer than a block is hashed first.
    public init(key: some Collection<UInt8>) {
        var block = key.count > SHA256.blockByteCount ? SHA256.hash(key) : Array(key)
        block += [UInt8](repeating: 0, count: SHA256.blockByteCount - block.count)
        var inner = SHA256State.initial
        var outer = SHA256State.initial
        let innerPad = block.map { $0 ^ 0x36 }
        let outerPad = block.map { $0 ^ 0x5c }
        innerPad.withUnsafeBytes { inner.compress(bytes: $0.baseAddress!) }
        outerPad.withUnsafeBytes { outer.compress(bytes: $0.baseAddress!) }
        innerKeyed = inner
        outerKeyed = outer
    }

    /// The 32-byte authentication code of `message` under this key.
    public func authenticationCode(for message: some Collection<UInt8>) -> [UInt8] {
        var inner = SHA256(resuming: innerKeyed, absorbedByteCount: 64)
        inner.update(message)
        var outer = SHA256(resuming: outerKeyed, absorbedByteCount: 64)
        outer.update(inner.finalize())
        return outer.finalize()
    }

    /// One-shot HMAC-SHA-256.
    public static func authenticationCode(for message: some Collection<UInt8>, key: some Collection<UInt8>) -> [UInt8] {
        HMACSHA256(key: key).authenticationCode(for: message)
    }
}
