/// PBKDF2 (RFC 8018, section 5.2) with HMAC-SHA-256 as the pseudorandom function.
public enum PBKDF2 {
    /// Errors for parameters PBKDF2 cannot accept.
    public enum ParameterError: Error, Equatable, Sendable {
        /// Iterations must be at least 1.
        case iterationsOutOfRange(Int)
        /// The derived key must be 1 to 1,024 bytes.
        case keyLengthOutOfRange(Int)
    }

    /// Derives `keyByteCount` bytes from `password` and `salt` with `iterations` rounds.
    ///
    /// Each round after the first costs two SHA-256 compressions of pre-padded blocks, computed
    /// from the saved keyed HMAC states (no byte buffers, no allocation in the loop).
    public static func deriveKey(
        password: some Collection<UInt8>, salt: some Collection<UInt8>, iterations: Int, keyByteCount: Int
    ) throws(ParameterError) -> [UInt8] {
        guard iterations >= 1 else { throw .iterationsOutOfRange(iterations) }
        guard (1...1024).contains(keyByteCount) else { throw .keyLengthOutOfRange(keyByteCount) }
        let mac = HMACSHA256(key: password)
        var derived = [UInt8]()
        derived.reserveCapacity(keyByteCount)
        var blockIndex: UInt32 = 1
        while derived.count < keyByteCount {
            var message = Array(salt)
            message += [UInt8(blockIndex >> 24), UInt8(truncatingIfNeeded: blockIndex >> 16),
                        UInt8(truncatingIfNeeded: blockIndex >> 8), UInt8(truncatingIfNeeded: blockIndex)]
            let first = mac.authenticationCode(for: message)
            let block = iterateRounds(mac: mac, first: first, iterations: iterations)
            derived += block.prefix(keyByteCount - derived.count)
            blockIndex += 1
        }
        return derived
    }

    /// U_1 XOR U_2 XOR … XOR U_c, where U_i = HMAC(password, U_{i-1}).
    private static func iterateRounds(mac: HMACSHA256, first: [UInt8], iterations: Int) -> [UInt8] {
        // Padded single-block messages of 32 bytes after a 64-byte keyed prefix: 768 bits.
        var innerBlock = [UInt32](repeating: 0, count: 16)
        var outerBlock = [UInt32](repeating: 0, count: 16)
        innerBlock[8] = 0x8000_0000
        innerBlock[15] = 768
        outerBlock[8] = 0x8000_0000
        outerBlock[15] = 768
        var accumulator = [UInt32](repeating: 0, count: 8)
        for i in 0..<8 {
            let word = UInt32(first[4 * i]) << 24 | UInt32(first[4 * i + 1]) << 16
                | UInt32(first[4 * i + 2]) << 8 | UInt32(first[4 * i + 3])
            innerBlock[i] = word
            accumulator[i] = word
        }
        for _ in 1..<iterations {
            var inner = mac.innerKeyed
            innerBlock.withUnsafeBufferPointer { inner.compress(words: $0.baseAddress!) }
            outerBlock[0] = inner.h0; outerBlock[1] = inner.h1; outerBlock[2] = inner.h2; outerBlock[3] = inner.h3
            outerBlock[4] = inner.h4; outerBlock[5] = inner.h5; outerBlock[6] = inner.h6; outerBlock[7] = inner.h7
            var outer = mac.outerKeyed
            outerBlock.withUnsafeBufferPointer { outer.compress(words: $0.baseAddress!) }
            innerBlock[0] = outer.h0; innerBlock[1] = outer.h1; innerBlock[2] = outer.h2; innerBlock[3] = outer.h3
            innerBlock[4] = outer.h4; innerBlock[5] = outer.h5; innerBlock[6] = outer.h6; innerBlock[7] = outer.h7
            for i in 0..<8 { accumulator[i] ^= innerBlock[i] }
        }
        var out = [UInt8]()
        out.reserveCapacity(32)
        for word in accumulator {
            out += [UInt8(word >> 24), UInt8(truncatingIfNeeded: word >> 16),
                    UInt8(truncatingIfNeeded: word >> 8), UInt8(truncatingIfNeeded: word)]
        }
        return out
    }
}
