/// Cryptographically secure random bytes.
///
/// `SystemRandomNumberGenerator` reads the kernel's CSPRNG (`getrandom(2)` on Linux), which is
/// what tokens, salts and ticket codes need.
public enum SecureRandom {
    /// `count` random bytes.
    public static func bytes(_ count: Int) -> [UInt8] {
        var generator = SystemRandomNumberGenerator()
        return (0..<count).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
    }
}
