import Synchronization

/// Times as people at a venue read them: in the venue's zone (an IANA name from the reference
/// data, read from the system's zone data, ``ZoneInfo``), `31 Dec 2026 21:00 CET`. Machines get
/// UTC (``Timestamp``'s ISO 8601, and every `--json` document).
public struct LocalTime: Sendable {
    let zone: ZoneInfo

    /// The venue's zone, or nil for a name the system's zone data does not know.
    public init?(zone identifier: String) {
        guard let zone = Self.zone(identifier) else { return nil }
        self.zone = zone
    }

    /// True for an IANA zone name the system knows (`Europe/Amsterdam`, `UTC`).
    public static func isZone(_ identifier: String) -> Bool { zone(identifier) != nil }

    /// Zones read so far, by name: a listing of a hundred events reads its venue's file once. Like
    /// the C library's, a process keeps the rules it read until it restarts. Unknown names are
    /// not kept (they come from input), so the cache holds at most the system's zones.
    private static let zones = Mutex([String: ZoneInfo]())

    private static func zone(_ identifier: String) -> ZoneInfo? {
        if let known = zones.withLock({ $0[identifier] }) { return known }
        guard let zone = ZoneInfo(identifier: identifier) else { return nil }
        zones.withLock { $0[identifier] = zone }
        return zone
    }

    /// `31 Dec 2026 21:00 CET`: day, month, year, 24-hour time and the zone's abbreviation
    /// (`GMT+4` where the zone data has only numbers, `+04`).
    public func format(_ time: Timestamp) -> String {
        let seconds = Timestamp.floorDivide(time.milliseconds, 1000).quotient
        let type = zone.localTimeType(at: seconds)
        let (days, secondOfDay) = Timestamp.floorDivide(seconds + type.offset, 86_400)
        let (year, month, day) = Timestamp.civil(fromDays: days)
        let hour = secondOfDay / 3600
        let minute = secondOfDay / 60 % 60
        return
            "\(day) \(Timestamp.monthAbbreviations[Int(month) - 1]) \(year) \(hour < 10 ? "0" : "")\(hour):\(minute < 10 ? "0" : "")\(minute) "
            + Self.readable(type.abbreviation)
    }

    /// The abbreviations this zone's times carry around `time` (from a year before to two years
    /// after), by offset from UTC in seconds, as ``format(_:)`` writes them: for St. John's
    /// `-12600: "NST", -9000: "NDT"`. A page that formats times itself names the zone as the node does.
    public func abbreviations(around time: Timestamp) -> [Int64: String] {
        let now = Timestamp.floorDivide(time.milliseconds, 1000).quotient
        var names = [Int64: String]()
        // Every local time type in effect lasts hours at least: one look every six hours finds each.
        for seconds in stride(from: now - 366 * 86_400, through: now + 731 * 86_400, by: 6 * 3600) {
            let type = zone.localTimeType(at: seconds)
            names[type.offset] = Self.readable(type.abbreviation)
        }
        return names
    }

    /// The local calendar day `date` (`YYYY-MM-DD`), or when nil the one containing `now`: from its
    /// first moment to the last millisecond before the next day's. Nil for text that is not a date.
    public func day(_ date: String?, now: Timestamp) -> (from: Timestamp, until: Timestamp)? {
        let days: Int64
        if let date {
            let bytes = Array(date.utf8)
            guard bytes.count == 10,
                bytes.indices.allSatisfy({ index in
                    index == 4 || index == 7
                        ? bytes[index] == UInt8(ascii: "-")
                        : (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[index])
                })
            else { return nil }
            func number(_ range: Range<Int>) -> Int64 {
                bytes[range].reduce(0) { $0 * 10 + Int64($1 - UInt8(ascii: "0")) }
            }
            let (year, month, day) = (number(0..<4), number(5..<7), number(8..<10))
            guard (1...12).contains(month), (1...Timestamp.daysIn(month: month, year: year)).contains(day) else {
                return nil
            }
            days = Timestamp.days(fromCivil: year, month, day)
        } else {
            let seconds = Timestamp.floorDivide(now.milliseconds, 1000).quotient
            days = Timestamp.floorDivide(seconds + zone.localTimeType(at: seconds).offset, 86_400).quotient
        }
        return (start(ofLocalDay: days), Timestamp(milliseconds: start(ofLocalDay: days + 1).milliseconds - 1))
    }

    /// The first moment whose local time is on or after midnight of `days` since 1970: midnight
    /// itself, or when the clocks jump past it, the moment they do.
    private func start(ofLocalDay days: Int64) -> Timestamp {
        let midnight = days * 86_400
        var low = midnight - 86_400  // local time then is before midnight whatever the offset (at most ±1 day)
        var high = midnight + 86_400
        while low < high {
            let middle = low + (high - low) / 2
            if middle + zone.localTimeType(at: middle).offset >= midnight { high = middle } else { low = middle + 1 }
        }
        return Timestamp(milliseconds: low * 1000)
    }

    /// `+04` as `GMT+4`, `-0330` as `GMT-3:30`; names as they are.
    private static func readable(_ abbreviation: String) -> String {
        guard let sign = abbreviation.first, sign == "+" || sign == "-" else { return abbreviation }
        let digits = abbreviation.dropFirst()
        guard digits.count >= 2, let hours = Int(digits.prefix(2)) else { return abbreviation }
        let minutes = digits.dropFirst(2)
        return "GMT\(sign)\(hours)" + (minutes.isEmpty || minutes == "00" ? "" : ":\(minutes)")
    }
}

extension Timestamp {
    /// This moment in `zone`'s local time for people (``LocalTime``); UTC when the zone is unknown.
    public func local(in zone: String) -> String {
        (LocalTime(zone: zone) ?? LocalTime(zone: "UTC")!).format(self)
    }
}
