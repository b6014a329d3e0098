/// A POSIX `TZ` rule as a TZif footer carries it (RFC 8536 §3.3): standard time, and optionally
/// daylight saving time with the rules that start and end it each year, such as
/// `CET-1CEST,M3.5.0,M10.5.0/3` or `<+0330>-3:30`. Offsets count west of UTC, as POSIX has them;
/// rule times may lie outside 0–24 hours (RFC 8536's extension).
struct PosixTimeZoneRule: Sendable {
    /// A day of the year on which daylight saving time starts or ends, and the local time of day.
    struct Change: Sendable {
        enum Day: Sendable {
            /// `Jn`: day 1–365, February 29 never counted.
            case julian(Int64)
            /// `n`: day 0–365, February 29 counted in leap years.
            case zeroBased(Int64)
            /// `Mm.w.d`: weekday `d` (0 is Sunday) of week `w` (5 is the last) of month `m`.
            case monthWeekDay(month: Int64, week: Int64, weekday: Int64)
        }
        let day: Day
        /// Seconds after local midnight of that day.
        let time: Int64

        /// Seconds since 1970 of this change in `year`, counted as if local time were UTC.
        func localSeconds(in year: Int64) -> Int64 {
            let newYear = Timestamp.days(fromCivil: year, 1, 1)
            let leap = Timestamp.daysIn(month: 2, year: year) == 29
            let days: Int64
            switch day {
            case .julian(let n): days = newYear + n - 1 + (leap && n >= 60 ? 1 : 0)
            case .zeroBased(let n): days = newYear + n
            case .monthWeekDay(let month, let week, let weekday):
                let first = Timestamp.days(fromCivil: year, month, 1)
                let firstWeekday = Timestamp.floorDivide(first + 4, 7).remainder  // 1970-01-01 was a Thursday
                var dayOfMonth = 1 + (weekday - firstWeekday + 7) % 7 + (week - 1) * 7
                while dayOfMonth > Timestamp.daysIn(month: month, year: year) { dayOfMonth -= 7 }
                days = first + dayOfMonth - 1
            }
            return days * 86_400 + time
        }
    }

    let standard: ZoneInfo.LocalTimeType
    let daylight: ZoneInfo.LocalTimeType?
    /// When daylight saving time starts (in standard time) and ends (in daylight time).
    let start: Change?
    let end: Change?

    /// Parses `text`; nil when it is not a rule this reader understands.
    init?(_ text: String) {
        var scanner = RuleScanner(Array(text.utf8))
        guard let standardName = scanner.name(), let standardOffset = scanner.offset() else { return nil }
        standard = ZoneInfo.LocalTimeType(offset: -standardOffset, isDaylightSaving: false, abbreviation: standardName)
        guard !scanner.atEnd else {
            (daylight, start, end) = (nil, nil, nil)
            return
        }
        guard let daylightName = scanner.name() else { return nil }
        let daylightOffset = scanner.peek == UInt8(ascii: ",") ? standardOffset - 3600 : scanner.offset()
        guard let daylightOffset, scanner.take(","), let start = scanner.change(), scanner.take(","),
            let end = scanner.change(), scanner.atEnd
        else { return nil }
        daylight = ZoneInfo.LocalTimeType(offset: -daylightOffset, isDaylightSaving: true, abbreviation: daylightName)
        self.start = start
        self.end = end
    }

    /// The local time type at `seconds` since 1970 (UTC).
    func localTimeType(at seconds: Int64) -> ZoneInfo.LocalTimeType {
        guard let daylight, let start, let end else { return standard }
        let (year, _, _) = Timestamp.civil(fromDays: Timestamp.floorDivide(seconds + standard.offset, 86_400).quotient)
        let starts = start.localSeconds(in: year) - standard.offset
        let ends = end.localSeconds(in: year) - daylight.offset
        let inDaylight = starts < ends ? (starts <= seconds && seconds < ends) : !(ends <= seconds && seconds < starts)
        return inDaylight ? daylight : standard
    }
}

/// Reads the parts of a POSIX `TZ` string.
private struct RuleScanner {
    let bytes: [UInt8]
    var position = 0

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    var atEnd: Bool { position == bytes.count }
    var peek: UInt8? { atEnd ? nil : bytes[position] }

    mutating func take(_ character: Character) -> Bool {
        guard peek == character.asciiValue else { return false }
        position += 1
        return true
    }

    /// `CET`, or `<+0330>` quoted (letters, digits, `+` and `-`), at least three characters.
    mutating func name() -> String? {
        let start = position
        if take("<") {
            while let byte = peek, byte != UInt8(ascii: ">") { position += 1 }
            let name = String(decoding: bytes[(start + 1)..<position], as: UTF8.self)
            return take(">") && name.count >= 3 ? name : nil
        }
        while let byte = peek, (byte | 0x20) >= UInt8(ascii: "a"), (byte | 0x20) <= UInt8(ascii: "z") { position += 1 }
        return position - start >= 3 ? String(decoding: bytes[start..<position], as: UTF8.self) : nil
    }

    /// `[+-]hh[:mm[:ss]]` in seconds; hours up to 167 (RFC 8536 allows them in rule times).
    mutating func offset() -> Int64? {
        var sign: Int64 = 1
        if take("-") { sign = -1 } else { _ = take("+") }
        guard let hours = number(maxDigits: 3), hours <= 167 else { return nil }
        var seconds = hours * 3600
        for unit: Int64 in [60, 1] {
            guard take(":") else { break }
            guard let value = number(maxDigits: 2), value < 60 else { return nil }
            seconds += value * unit
        }
        return sign * seconds
    }

    /// `Jn`, `n` or `Mm.w.d`, then `/time` (02:00 when absent).
    mutating func change() -> PosixTimeZoneRule.Change? {
        let day: PosixTimeZoneRule.Change.Day
        if take("J") {
            guard let n = number(maxDigits: 3), (1...365).contains(n) else { return nil }
            day = .julian(n)
        } else if take("M") {
            guard let month = number(maxDigits: 2), (1...12).contains(month), take("."),
                let week = number(maxDigits: 1), (1...5).contains(week), take("."),
                let weekday = number(maxDigits: 1), (0...6).contains(weekday)
            else { return nil }
            day = .monthWeekDay(month: month, week: week, weekday: weekday)
        } else {
            guard let n = number(maxDigits: 3), (0...365).contains(n) else { return nil }
            day = .zeroBased(n)
        }
        guard take("/") else { return PosixTimeZoneRule.Change(day: day, time: 7200) }
        guard let time = offset() else { return nil }
        return PosixTimeZoneRule.Change(day: day, time: time)
    }

    mutating func number(maxDigits: Int) -> Int64? {
        var value: Int64 = 0
        var digits = 0
        while digits < maxDigits, let byte = peek, byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") {
            value = value * 10 + Int64(byte - UInt8(ascii: "0"))
            position += 1
            digits += 1
        }
        return digits > 0 ? value : nil
    }
}
