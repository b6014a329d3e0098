/// Prometheus' text exposition format (0.0.4): metric families, each with its `# HELP` and
/// `# TYPE` lines and its samples, label values escaped.
///
/// ```swift
/// var text = MetricsText()
/// text.family("venue_central_up", .gauge, "1 when central answered.") { $0.sample(1) }
/// text.rendered   // "# HELP venue_central_up 1 when central answered.\n# TYPE …"
/// ```
public struct MetricsText: Sendable {
    /// A family's type, as `# TYPE` names it.
    public enum Kind: String, Sendable {
        case gauge, counter
    }

    /// The samples of one family.
    public struct Family: Sendable {
        let name: String
        fileprivate(set) var lines: [String] = []

        /// One sample; a label with an empty value is left out (Prometheus reads it as absent).
        public mutating func sample(_ value: Double, _ labels: KeyValuePairs<String, String> = [:]) {
            let present = labels.filter { !$0.value.isEmpty }
            let set =
                present.isEmpty
                ? ""
                : "{" + present.map { "\($0.key)=\"\(MetricsText.escaped($0.value))\"" }.joined(separator: ",") + "}"
            lines.append("\(name)\(set) \(MetricsText.format(value))")
        }
    }

    private var lines: [String] = []

    public init() {}

    /// Adds a family; `samples` adds its samples (a family may have none: its type is still told).
    public mutating func family(
        _ name: String, _ kind: Kind, _ help: String, samples: (inout Family) -> Void
    ) {
        var family = Family(name: name)
        samples(&family)
        lines.append("# HELP \(name) \(help)")
        lines.append("# TYPE \(name) \(kind.rawValue)")
        lines += family.lines
    }

    /// The whole text, each line ended by a newline.
    public var rendered: String { lines.map { $0 + "\n" }.joined() }

    /// The media type Prometheus expects for this format.
    public static let contentType = "text/plain; version=0.0.4; charset=utf-8"

    /// A value as the format writes it: integers without a fraction, `+Inf` for infinity.
    static func format(_ value: Double) -> String {
        if value.isNaN { return "NaN" }
        if value.isInfinite { return value > 0 ? "+Inf" : "-Inf" }
        if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
        return String(value)
    }

    /// A label value with `\`, `"` and line feeds escaped.
    static func escaped(_ value: String) -> String {
        var text = ""
        for character in value {
            switch character {
            case "\\": text += "\\\\"
            case "\"": text += "\\\""
            case "\n": text += "\\n"
            default: text.append(character)
            }
        }
        return text
    }
}
