import EdgeCrypto
import Testing

/// Random bytes come in the length asked, pooled or not, and never repeat.
@Suite struct SecureRandomTests {
    @Test(arguments: [0, 1, 10, SecureRandom.pooledLimit, SecureRandom.pooledLimit + 1, 4096, 70_000])
    func theLengthAsked(count: Int) {
        #expect(SecureRandom.bytes(count).count == count)
    }

    /// Ten thousand ids' worth of pooled draws (several refills of the buffer) and a few large
    /// ones: all different, none the wiped zeros of a buffer handed out twice.
    @Test func drawsNeverRepeat() {
        let draws = (0..<10_000).map { _ in SecureRandom.bytes(10) } + (0..<8).map { _ in SecureRandom.bytes(1000) }
        #expect(Set(draws).count == draws.count)
        #expect(!draws.contains([UInt8](repeating: 0, count: 10)))
    }

    /// Each bit of a large draw is set about half the time (a broken generator is far off).
    @Test func bitsAreBalanced() {
        let bytes = SecureRandom.bytes(100_000)
        let ones = bytes.reduce(0) { $0 + $1.nonzeroBitCount }
        #expect(abs(Double(ones) / Double(bytes.count * 8) - 0.5) < 0.01)
    }
}
