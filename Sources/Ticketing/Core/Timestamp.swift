import Foundation

/// A moment in UTC with millisecond precision, stored as milliseconds since the Unix epoch.
///
/// Stored in SQLite as an INTEGER; encoded in JSON as ISO 8601 (`2026-12-01T19:30:00.000Z`).
public struct Timestamp: Comparable, Hashable, Sendable, Codable, CustomStringConvertible {
    /// Milliseconds since 1970-01-01T00:00:00Z.
    public let milliseconds: Int64

    /// A timestamp from milliseconds since the epoch.
    public init(milliseconds: Int64) { self.milliseconds = milliseconds }

    /// This moment plus `seconds`.
    public func adding(seconds: Int64) -> Timestamp { Timestamp(milliseconds: milliseconds + seconds * 1000) }

    public static func < (lhs: Timestamp, rhs: Timestamp) -> Bool { lhs.milliseconds < rhs.milliseconds }

    /// ISO 8601 in UTC with milliseconds.
    public var description: String {
        let date = Date(timeIntervalSince1970: Double(milliseconds) / 1000)
        return date.formatted(Self.format)
    }

    /// Parses ISO 8601 with or without fractional seconds (`2026-12-01T19:30:00Z`).
    public init?(iso8601 text: String) {
        guard let date = (try? Self.format.parse(text)) ?? (try? Date.ISO8601FormatStyle().parse(text)) else {
            return nil
        }
        milliseconds = Int64((date.timeIntervalSince1970 * 1000).rounded())
    }

    private static let format = Date.ISO8601FormatStyle(includingFractionalSeconds: true, timeZone: .gmt)

    public func encode(to encoder: Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }

    public init(from decoder: Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        guard let parsed = Timestamp(iso8601: text) else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "not an ISO 8601 time: \(text)")
        }
        self = parsed
    }
}

/// Where the current time comes from: the system clock in production, a settable one in tests.
public protocol WallClock: Sendable {
    /// The current time.
    func now() -> Timestamp
}

/// The system's real-time clock.
public struct SystemWallClock: WallClock {
    /// The system clock.
    public init() {}

    public func now() -> Timestamp {
        Timestamp(milliseconds: Int64((Date().timeIntervalSince1970 * 1000).rounded(.down)))
    }
}

/// A clock that stands still until moved: for tests of expiry and ordering.
public final class ManualWallClock: WallClock, @unchecked Sendable {  // `current` is guarded by `lock`
    private let lock = NSLock()
    private var current: Timestamp

    /// A clock showing `start`.
    public init(_ start: Timestamp) { current = start }

    public func now() -> Timestamp { lock.withLock { current } }

    /// Moves the clock forward.
    public func advance(seconds: Int64) { lock.withLock { current = current.adding(seconds: seconds) } }
}
