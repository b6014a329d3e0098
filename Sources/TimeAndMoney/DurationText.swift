/// Durations as people type them, in reference data and on command lines: `500ms`, `90s`, `10m`,
/// `2h`, `1d`, or bare seconds. The one parser of the project.
public enum DurationText {
    /// Milliseconds in `text`, or nil when it is not a whole number with an optional unit
    /// (`ms`, `s`, `m`, `h`, `d`; none means seconds).
    public static func milliseconds(_ text: String) -> Int64? {
        let units: [(String, Int64)] = [("ms", 1), ("s", 1000), ("m", 60_000), ("h", 3_600_000), ("d", 86_400_000)]
        let (digits, multiplier) =
            units.first { text.hasSuffix($0.0) }.map { (text.dropLast($0.0.count), $0.1) } ?? (Substring(text), 1000)
        guard !digits.isEmpty, digits.count <= 9, digits.allSatisfy({ $0.isASCII && $0.isNumber }),
            let value = Int64(digits)
        else {
            return nil
        }
        return value * multiplier
    }

    /// Whole seconds in `text` (`90s`, `10m`, `2h`, `1d`, `45`), or nil; `1500ms` is not a whole
    /// number of seconds.
    public static func seconds(_ text: String) -> Int64? {
        milliseconds(text).flatMap { $0 % 1000 == 0 ? $0 / 1000 : nil }
    }
}
