import SyncWire
import Synchronization

/// Sign-in attempts per client address, a token bucket each: an address may try ``Limits/burst``
/// times at once, then once every ``Limits/refillSeconds``. An attempt takes a token before its
/// password is hashed; a successful one gives it back, so that only failures use up the bucket.
/// The buckets of at most ``Limits/clients`` addresses are kept: full ones are dropped to make
/// room, and past that every new address is refused until some refill.
public final class SignInLimiter: Sendable {
    /// The numbers; docs/security.md gives the same.
    public struct Limits: Sendable {
        /// Attempts an address may make at once.
        public var burst = 10
        /// Seconds for an address to earn one more attempt.
        public var refillSeconds = 6
        /// Addresses followed at once.
        public var clients = 4096

        public init() {}
    }

    private struct Bucket {
        var tokens: Double
        var updatedAt: UInt64
    }

    public let limits: Limits
    private let buckets = Mutex<[String: Bucket]>([:])
    private let now: @Sendable () -> UInt64

    /// `now`: nanoseconds on a monotonic clock.
    public init(limits: Limits = Limits(), now: @escaping @Sendable () -> UInt64 = MonotonicClock.nanoseconds) {
        self.limits = limits
        self.now = now
    }

    /// Takes a token for `client`: nil when it may try now, else the whole seconds until it may.
    public func take(_ client: String) -> Int? {
        let now = now()
        return buckets.withLock { buckets -> Int? in
            if buckets[client] == nil, buckets.count >= limits.clients {
                buckets = buckets.filter { refilled($0.value, now: now).tokens < Double(limits.burst) }
                guard buckets.count < limits.clients else { return limits.refillSeconds }
            }
            var bucket = refilled(buckets[client] ?? Bucket(tokens: Double(limits.burst), updatedAt: now), now: now)
            guard bucket.tokens >= 1 else {
                buckets[client] = bucket
                return max(1, Int(((1 - bucket.tokens) * Double(limits.refillSeconds)).rounded(.up)))
            }
            bucket.tokens -= 1
            buckets[client] = bucket
            return nil
        }
    }

    /// Gives back the token `client` took for an attempt that succeeded.
    public func giveBack(_ client: String) {
        let now = now()
        buckets.withLock { buckets in
            guard let bucket = buckets[client] else { return }
            var given = refilled(bucket, now: now)
            given.tokens = min(Double(limits.burst), given.tokens + 1)
            buckets[client] = given
        }
    }

    private func refilled(_ bucket: Bucket, now: UInt64) -> Bucket {
        let seconds = Double(now &- bucket.updatedAt) / 1e9
        let tokens = min(Double(limits.burst), bucket.tokens + seconds / Double(limits.refillSeconds))
        return Bucket(tokens: tokens, updatedAt: now)
    }
}
