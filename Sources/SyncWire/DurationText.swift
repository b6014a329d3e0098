/// Durations as people type them: `90s`, `10m`, `2h`, `1d`, or bare seconds.
public enum DurationText {
    /// Seconds in `text`, or nil when it is not a whole number with an optional s/m/h/d unit.
    public static func seconds(_ text: String) -> Int64? {
        guard let last = text.last else { return nil }
        let (digits, multiplier): (Substring, Int64) = switch last {
        case "s": (text.dropLast(), 1)
        case "m": (text.dropLast(), 60)
        case "h": (text.dropLast(), 3600)
        case "d": (text.dropLast(), 86_400)
        default: (Substring(text), 1)
        }
        guard !digits.isEmpty, digits.count <= 9, digits.allSatisfy({ $0.isASCII && $0.isNumber }),
              let value = Int64(digits) else { return nil }
        return value * multiplier
    }

    /// `10m`, `1h30m`, `45s`: the shortest way to write `seconds`.
    public static func format(_ seconds: Int64) -> String {
        if seconds > 0, seconds % 3600 == 0 { return "\(seconds / 3600)h" }
        if seconds > 0, seconds % 60 == 0 { return "\(seconds / 60)m" }
        return "\(seconds)s"
    }
}
