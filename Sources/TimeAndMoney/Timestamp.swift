import FoundationEssentials
import Glibc
import SQLValues
import Synchronization

/// A moment in UTC with millisecond precision, stored as milliseconds since the Unix epoch.
///
/// Stored in SQLite as an INTEGER; encoded in JSON as ISO 8601 (`2026-12-01T19:30:00.000Z`).
/// Formatting and parsing use integer calendar arithmetic, so every value round-trips exactly.
public struct Timestamp: Comparable, Hashable, Sendable, Codable, CustomStringConvertible {
    /// Milliseconds since 1970-01-01T00:00:00Z.
    public let milliseconds: Int64

    /// A timestamp from milliseconds since the epoch.
    public init(milliseconds: Int64) { self.milliseconds = milliseconds }

    /// This moment plus `seconds`.
    public func adding(seconds: Int64) -> Timestamp { Timestamp(milliseconds: milliseconds + seconds * 1000) }

    public static func < (lhs: Timestamp, rhs: Timestamp) -> Bool { lhs.milliseconds < rhs.milliseconds }

    /// ISO 8601 in UTC with milliseconds: `2026-12-31T20:00:00.000Z`.
    public var description: String {
        let parts = civil
        // Years 0–9999 (every sale's) written digit by digit into the 24 bytes; others below.
        if (0...9999).contains(parts.year) {
            return String(unsafeUninitializedCapacity: 24) { text in
                func put(_ value: Int64, digits: Int, at offset: Int, then separator: Unicode.Scalar) {
                    var rest = value
                    for index in (offset..<offset + digits).reversed() {
                        text[index] = UInt8(ascii: "0") + UInt8(rest % 10)
                        rest /= 10
                    }
                    text[offset + digits] = UInt8(ascii: separator)
                }
                put(parts.year, digits: 4, at: 0, then: "-")
                put(parts.month, digits: 2, at: 5, then: "-")
                put(parts.day, digits: 2, at: 8, then: "T")
                put(parts.hour, digits: 2, at: 11, then: ":")
                put(parts.minute, digits: 2, at: 14, then: ":")
                put(parts.second, digits: 2, at: 17, then: ".")
                put(parts.millisecond, digits: 3, at: 20, then: "Z")
                return 24
            }
        }
        let year = parts.year < 0 ? "-" + Self.padded(-parts.year, 3) : Self.padded(parts.year, 4)
        let date = "\(year)-\(Self.padded(parts.month, 2))-\(Self.padded(parts.day, 2))"
        let time = "\(Self.padded(parts.hour, 2)):\(Self.padded(parts.minute, 2)):\(Self.padded(parts.second, 2))"
        return "\(date)T\(time).\(Self.padded(parts.millisecond, 3))Z"
    }

    /// `Wed, 25 Nov 2026 04:40:58 +0000`: an email's `Date` (RFC 5322 §3.3), in UTC.
    public var rfc5322: String {
        let parts = civil
        let days = Self.floorDivide(milliseconds, 86_400_000).quotient
        let weekday = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"][Int(Self.floorDivide(days, 7).remainder)]
        let month = Self.monthAbbreviations[Int(parts.month) - 1]
        let time = "\(Self.padded(parts.hour, 2)):\(Self.padded(parts.minute, 2)):\(Self.padded(parts.second, 2))"
        return "\(weekday), \(Self.padded(parts.day, 2)) \(month) \(parts.year) \(time) +0000"
    }

    /// English month abbreviations, January first: emails' dates and people's local times.
    static let monthAbbreviations = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ]

    /// `value` (not negative) in decimal, zero-padded to `width` digits, as `%0*lld` writes it.
    private static func padded(_ value: Int64, _ width: Int) -> String {
        let digits = String(value)
        return digits.count < width ? String(repeating: "0", count: width - digits.count) + digits : digits
    }

    /// The calendar fields in UTC, and the weekday (0 = Sunday).
    public var civil:
        (
            year: Int64, month: Int64, day: Int64, hour: Int64, minute: Int64, second: Int64, millisecond: Int64,
            weekday: Int64
        )
    {
        let (days, inDay) = Self.floorDivide(milliseconds, 86_400_000)
        let (year, month, day) = Self.civil(fromDays: days)
        return (
            year, month, day, inDay / 3_600_000, inDay / 60_000 % 60, inDay / 1000 % 60, inDay % 1000,
            Self.floorDivide(days + 4, 7).remainder
        )
    }

    /// Parses `YYYY-MM-DDTHH:MM:SS[.fff]` followed by `Z` or an offset `±HH:MM`.
    public init?(iso8601 text: String) {
        let bytes = Array(text.utf8)
        func number(_ start: Int, _ count: Int) -> Int64? {
            guard start + count <= bytes.count else { return nil }
            var value: Int64 = 0
            for byte in bytes[start..<start + count] {
                guard byte >= 48, byte <= 57 else { return nil }
                value = value * 10 + Int64(byte - 48)
            }
            return value
        }
        guard bytes.count >= 20, bytes[4] == 45, bytes[7] == 45, bytes[10] == 84 || bytes[10] == 116, bytes[13] == 58,
            bytes[16] == 58,
            let year = number(0, 4), let month = number(5, 2), let day = number(8, 2), let hour = number(11, 2),
            let minute = number(14, 2), let second = number(17, 2),
            (1...12).contains(month), (1...Self.daysIn(month: month, year: year)).contains(day), hour < 24, minute < 60,
            second < 61
        else { return nil }
        var index = 19
        var fraction: Int64 = 0
        if bytes[index] == 46 {
            index += 1
            var digits = 0
            while index < bytes.count, bytes[index] >= 48, bytes[index] <= 57 {
                if digits < 3 { fraction = fraction * 10 + Int64(bytes[index] - 48) }
                digits += 1
                index += 1
            }
            guard digits > 0 else { return nil }
            for _ in digits..<3 where digits < 3 { fraction *= 10 }
        }
        var offsetMinutes: Int64 = 0
        switch bytes.count - index {
        case 1 where bytes[index] == 90 || bytes[index] == 122:
            break
        case 6 where (bytes[index] == 43 || bytes[index] == 45) && bytes[index + 3] == 58:
            guard let hours = number(index + 1, 2), let minutes = number(index + 4, 2), hours < 24, minutes < 60 else {
                return nil
            }
            offsetMinutes = (hours * 60 + minutes) * (bytes[index] == 45 ? -1 : 1)
        default:
            return nil
        }
        let days = Self.days(fromCivil: year, month, day)
        milliseconds = ((days * 86_400 + hour * 3600 + minute * 60 + second) - offsetMinutes * 60) * 1000 + fraction
    }

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

    // Howard Hinnant's days-from-civil and civil-from-days (proleptic Gregorian calendar).

    static func days(fromCivil year: Int64, _ month: Int64, _ day: Int64) -> Int64 {
        let y = month <= 2 ? year - 1 : year
        let era = floorDivide(y, 400).quotient
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    static func civil(fromDays days: Int64) -> (Int64, Int64, Int64) {
        let z = days + 719_468
        let era = floorDivide(z, 146_097).quotient
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthPrime = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * monthPrime + 2) / 5 + 1
        let month = monthPrime < 10 ? monthPrime + 3 : monthPrime - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }

    static func daysIn(month: Int64, year: Int64) -> Int64 {
        switch month {
        case 2: (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    static func floorDivide(_ value: Int64, _ divisor: Int64) -> (quotient: Int64, remainder: Int64) {
        let quotient = value >= 0 ? value / divisor : -((-value + divisor - 1) / divisor)
        return (quotient, value - quotient * divisor)
    }
}

/// Where the current time comes from: the system clock in production, a settable one in tests.
/// It also reads the boot clock (``BootTime``), which deadlines that a step of the wall clock
/// must not move are kept on, so that a test moves both together or steps the wall clock alone.
public protocol WallClock: Sendable {
    /// The current time.
    func now() -> Timestamp

    /// The time since the machine started (``BootTime/now()`` unless a test sets it).
    func sinceBoot() -> BootTime
}

extension WallClock {
    public func sinceBoot() -> BootTime { BootTime.now() }
}

/// The system's real-time clock.
public struct SystemWallClock: WallClock {
    /// The system clock.
    public init() {}

    public func now() -> Timestamp {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        return Timestamp(milliseconds: Int64(now.tv_sec) * 1000 + Int64(now.tv_nsec) / 1_000_000)
    }
}

/// A clock that stands still until moved: for tests of expiry and ordering. Its boot clock
/// starts at zero on a boot of its own.
public final class ManualWallClock: WallClock {
    private struct Reading {
        var wall: Timestamp
        var boots = 1
        var sinceBoot: Int64 = 0
    }

    private let current: Mutex<Reading>

    /// A clock showing `start`.
    public init(_ start: Timestamp) { current = Mutex(Reading(wall: start)) }

    public func now() -> Timestamp { current.withLock { $0.wall } }

    public func sinceBoot() -> BootTime {
        current.withLock { BootTime(boot: "manual-boot-\($0.boots)", milliseconds: $0.sinceBoot) }
    }

    /// Lets time pass: the wall clock and the boot clock move forward together.
    public func advance(seconds: Int64) {
        current.withLock {
            $0.wall = $0.wall.adding(seconds: seconds)
            $0.sinceBoot += seconds * 1000
        }
    }

    /// Steps the wall clock alone, as NTP correcting it or `date -s` would (negative: back).
    public func step(seconds: Int64) { current.withLock { $0.wall = $0.wall.adding(seconds: seconds) } }

    /// Starts the machine again: the wall clock stays, the boot clock starts from zero on a new
    /// boot, and readings of the last one no longer compare.
    public func restart() {
        current.withLock {
            $0.boots += 1
            $0.sinceBoot = 0
        }
    }
}

extension Timestamp: SQLValueDecodable {
    /// `2026-12-31 20:00:00.000`: how MySQL's DATETIME(3) columns (UTC sessions) take a time.
    public var sqlText: String {
        let iso = description
        return String(iso.prefix(10)) + " " + String(iso.dropFirst(11).prefix(12))
    }

    /// Reads a DATETIME(3) value (`2026-12-31 20:00:00.000`, fraction optional) as UTC.
    public init?(sqlText text: String) {
        self.init(iso8601: text.replacing(" ", with: "T") + "Z")
    }

    /// A stored time: milliseconds since the epoch (the node's INTEGER columns) or DATETIME(3)
    /// text (central's).
    public static func decode(from value: SQLValue) -> Timestamp? {
        switch value {
        case .integer(let milliseconds): Timestamp(milliseconds: milliseconds)
        case .text(let text): Timestamp(sqlText: text)
        default: nil
        }
    }
}
