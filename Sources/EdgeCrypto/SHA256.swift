/// SHA-256 as specified in FIPS 180-4.
///
/// Incremental use:
/// ```swift
/// var hasher = SHA256()
/// hasher.update(Array("abc".utf8))
/// let digest = hasher.finalize()   // 32 bytes
/// ```
/// or one shot: `SHA256.hash(bytes)`.
public struct SHA256: Sendable {
    /// Digest length in bytes.
    public static let digestByteCount = 32
    /// Block length in bytes.
    public static let blockByteCount = 64

    var state = SHA256State.initial
    private var pending: [UInt8] = []
    private var totalByteCount: UInt64 = 0

    /// A hasher with the FIPS 180-4 initial state.
    public init() {
        pending.reserveCapacity(Self.blockByteCount)
    }

    /// A hasher continuing from `state`, which has already absorbed `absorbedByteCount` bytes
    /// (a multiple of the block size): how HMAC resumes from its keyed inner and outer states.
    init(resuming state: SHA256State, absorbedByteCount: UInt64) {
        self.init()
        self.state = state
        totalByteCount = absorbedByteCount
    }

    /// Feeds more message bytes.
    public mutating func update(_ bytes: some Collection<UInt8>) {
        totalByteCount &+= UInt64(bytes.count)
        var index = bytes.startIndex
        if !pending.isEmpty {
            while pending.count < Self.blockByteCount, index != bytes.endIndex {
                pending.append(bytes[index])
                index = bytes.index(after: index)
            }
            guard pending.count == Self.blockByteCount else { return }
            pending.withUnsafeBytes { state.compress(bytes: $0.baseAddress!) }
            pending.removeAll(keepingCapacity: true)
        }
        let remaining = bytes[index...]
        let handled = remaining.withContiguousStorageIfAvailable { buffer -> Int in
            let raw = UnsafeRawBufferPointer(buffer)
            var offset = 0
            while raw.count - offset >= Self.blockByteCount {
                state.compress(bytes: raw.baseAddress! + offset)
                offset += Self.blockByteCount
            }
            pending.append(contentsOf: raw[offset...])
            return raw.count
        }
        if handled == nil {
            for byte in remaining {
                pending.append(byte)
                if pending.count == Self.blockByteCount {
                    pending.withUnsafeBytes { state.compress(bytes: $0.baseAddress!) }
                    pending.removeAll(keepingCapacity: true)
                }
            }
        }
    }

    /// Pads the message, processes the last block(s) and returns the 32-byte digest.
    public mutating func finalize() -> [UInt8] {
        let bitLength = totalByteCount &* 8
        var tail = pending
        tail.append(0x80)
        while tail.count % Self.blockByteCount != 56 { tail.append(0) }
        for shift in stride(from: 56, through: 0, by: -8) { tail.append(UInt8(truncatingIfNeeded: bitLength >> UInt64(shift))) }
        tail.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                state.compress(bytes: raw.baseAddress! + offset)
                offset += Self.blockByteCount
            }
        }
        pending.removeAll()
        return state.bytes
    }

    /// The SHA-256 digest of `bytes`.
    public static func hash(_ bytes: some Collection<UInt8>) -> [UInt8] {
        var hasher = SHA256()
        hasher.update(bytes)
        return hasher.finalize()
    }
}

/// The eight working words of SHA-256 and its compression function.
///
/// Kept separate from ``SHA256`` so that HMAC and PBKDF2 can save a keyed state and compress
/// pre-padded blocks of words without going through the byte buffer.
struct SHA256State: Sendable {
    var h0, h1, h2, h3, h4, h5, h6, h7: UInt32

    static let initial = SHA256State(
        h0: 0x6a09_e667, h1: 0xbb67_ae85, h2: 0x3c6e_f372, h3: 0xa54f_f53a,
        h4: 0x510e_527f, h5: 0x9b05_688c, h6: 0x1f83_d9ab, h7: 0x5be0_cd19)

    /// The state as a big-endian digest.
    var bytes: [UInt8] {
        var out = [UInt8]()
        out.reserveCapacity(32)
        for word in words {
            out.append(UInt8(truncatingIfNeeded: word >> 24))
            out.append(UInt8(truncatingIfNeeded: word >> 16))
            out.append(UInt8(truncatingIfNeeded: word >> 8))
            out.append(UInt8(truncatingIfNeeded: word))
        }
        return out
    }

    /// The state as eight words.
    var words: [UInt32] { [h0, h1, h2, h3, h4, h5, h6, h7] }

    /// Compresses one 64-byte block read from `bytes`.
    mutating func compress(bytes: UnsafeRawPointer) {
        withUnsafeTemporaryAllocation(of: UInt32.self, capacity: 64) { w in
            for t in 0..<16 {
                let b = bytes + t * 4
                w[t] = UInt32(b.load(as: UInt8.self)) << 24 | UInt32(b.load(fromByteOffset: 1, as: UInt8.self)) << 16
                    | UInt32(b.load(fromByteOffset: 2, as: UInt8.self)) << 8 | UInt32(b.load(fromByteOffset: 3, as: UInt8.self))
            }
            compressSchedule(w)
        }
    }

    /// Compresses one block given as sixteen big-endian words.
    mutating func compress(words block: UnsafePointer<UInt32>) {
        withUnsafeTemporaryAllocation(of: UInt32.self, capacity: 64) { w in
            for t in 0..<16 { w[t] = block[t] }
            compressSchedule(w)
        }
    }

    @inline(__always)
    private mutating func compressSchedule(_ w: UnsafeMutableBufferPointer<UInt32>) {
        for t in 16..<64 {
            let s0 = w[t - 15].rotatedRight(7) ^ w[t - 15].rotatedRight(18) ^ (w[t - 15] >> 3)
            let s1 = w[t - 2].rotatedRight(17) ^ w[t - 2].rotatedRight(19) ^ (w[t - 2] >> 10)
            w[t] = w[t - 16] &+ s0 &+ w[t - 7] &+ s1
        }
        var a = h0, b = h1, c = h2, d = h3, e = h4, f = h5, g = h6, h = h7
        SHA256State.roundConstants.withUnsafeBufferPointer { k in
            for t in 0..<64 {
                let s1 = e.rotatedRight(6) ^ e.rotatedRight(11) ^ e.rotatedRight(25)
                let choice = (e & f) ^ (~e & g)
                let temp1 = h &+ s1 &+ choice &+ k[t] &+ w[t]
                let s0 = a.rotatedRight(2) ^ a.rotatedRight(13) ^ a.rotatedRight(22)
                let majority = (a & b) ^ (a & c) ^ (b & c)
                let temp2 = s0 &+ majority
                h = g
                g = f
                f = e
                e = d &+ temp1
                d = c
                c = b
                b = a
                a = temp1 &+ temp2
            }
        }
        h0 &+= a; h1 &+= b; h2 &+= c; h3 &+= d
        h4 &+= e; h5 &+= f; h6 &+= g; h7 &+= h
    }

    private static let roundConstants: [UInt32] = [
        0x428a_2f98, 0x7137_4491, 0xb5c0_fbcf, 0xe9b5_dba5, 0x3956_c25b, 0x59f1_11f1, 0x923f_82a4, 0xab1c_5ed5,
        0xd807_aa98, 0x1283_5b01, 0x2431_85be, 0x550c_7dc3, 0x72be_5d74, 0x80de_b1fe, 0x9bdc_06a7, 0xc19b_f174,
        0xe49b_69c1, 0xefbe_4786, 0x0fc1_9dc6, 0x240c_a1cc, 0x2de9_2c6f, 0x4a74_84aa, 0x5cb0_a9dc, 0x76f9_88da,
        0x983e_5152, 0xa831_c66d, 0xb003_27c8, 0xbf59_7fc7, 0xc6e0_0bf3, 0xd5a7_9147, 0x06ca_6351, 0x1429_2967,
        0x27b7_0a85, 0x2e1b_2138, 0x4d2c_6dfc, 0x5338_0d13, 0x650a_7354, 0x766a_0abb, 0x81c2_c92e, 0x9272_2c85,
        0xa2bf_e8a1, 0xa81a_664b, 0xc24b_8b70, 0xc76c_51a3, 0xd192_e819, 0xd699_0624, 0xf40e_3585, 0x106a_a070,
        0x19a4_c116, 0x1e37_6c08, 0x2748_774c, 0x34b0_bcb5, 0x391c_0cb3, 0x4ed8_aa4a, 0x5b9c_ca4f, 0x682e_6ff3,
        0x748f_82ee, 0x78a5_636f, 0x84c8_7814, 0x8cc7_0208, 0x90be_fffa, 0xa450_6ceb, 0xbef9_a3f7, 0xc671_78f2,
    ]
}

extension UInt32 {
    @inline(__always)
    func rotatedRight(_ count: UInt32) -> UInt32 { (self >> count) | (self << (32 &- count)) }
}
