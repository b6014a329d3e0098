import Foundation

/// Times as people at a venue read them: in the venue's zone (an IANA name from the reference
/// data, read from the system's zone data), `31 Dec 2026 21:00 CET`. Machines get UTC
/// (``Timestamp``'s ISO 8601, and every `--json` document).
public struct LocalTime: Sendable {
    public let zone: TimeZone
    /// The name given (Foundation may report `UTC` as `GMT`).
    let identifier: String

    /// The venue's zone, or nil for a name the system's zone data does not know.
    public init?(zone identifier: String) {
        guard let zone = TimeZone(identifier: identifier) else { return nil }
        self.zone = zone
        self.identifier = identifier
    }

    /// True for an IANA zone name the system knows (`Europe/Amsterdam`, `UTC`).
    public static func isZone(_ identifier: String) -> Bool { TimeZone(identifier: identifier) != nil }

    /// `31 Dec 2026 21:00 CET`: day, month, year, 24-hour time and the zone's abbreviation
    /// (`GMT+9` where the zone has none in common use).
    public func format(_ time: Timestamp) -> String {
        let date = Date(timeIntervalSince1970: Double(time.milliseconds) / 1000)
        let british = Self.formatter(zone, locale: "en_GB").string(from: date)
        if zone.secondsFromGMT(for: date) == 0, british.hasSuffix(" GMT"), identifier.hasSuffix("UTC") {
            return british.dropLast(3) + "UTC"
        }
        guard british.contains("GMT+") || british.contains("GMT-") else { return british }
        let american = Self.formatter(zone, locale: "en_US").string(from: date)
        return american.contains("GMT") ? british : american
    }

    private static func formatter(_ zone: TimeZone, locale: String) -> DateFormatter {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: locale)
        formatter.timeZone = zone
        formatter.dateFormat = "d MMM yyyy HH:mm zzz"
        return formatter
    }
}

extension Timestamp {
    /// This moment in `zone`'s local time for people (``LocalTime``); UTC when the zone is unknown.
    public func local(in zone: String) -> String {
        (LocalTime(zone: zone) ?? LocalTime(zone: "UTC")!).format(self)
    }
}
