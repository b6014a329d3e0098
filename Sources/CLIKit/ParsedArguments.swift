/// The values a command line gave, by option name and argument name, with typed readers that
/// turn bad values into ``UsageError``s naming the option.
public struct ParsedArguments: Sendable {
    /// Command names from the root's subcommand down (`["users", "add"]`).
    public let commandPath: [String]
    var optionValues: [String: [String]] = [:]
    var flags: Set<String> = []
    var argumentValues: [String: [String]] = [:]

    init(commandPath: [String]) { self.commandPath = commandPath }

    /// Whether a flag was given.
    public func flag(_ name: String) -> Bool { flags.contains(name) }

    /// The value of a single-value option, if given.
    public func value(_ name: String) -> String? { optionValues[name]?.last }

    /// Every value of a multiple-value option, in order.
    public func values(_ name: String) -> [String] { optionValues[name] ?? [] }

    /// The value of a positional argument, if given.
    public func argument(_ name: String) -> String? { argumentValues[name]?.first }

    /// Every value of a variadic positional argument.
    public func arguments(_ name: String) -> [String] { argumentValues[name] ?? [] }

    /// The value of an option that must be present.
    public func required(_ name: String) throws -> String {
        guard let value = value(name) else { throw UsageError("missing \(name)") }
        return value
    }

    /// The value of a positional argument that must be present.
    public func requiredArgument(_ name: String) throws -> String {
        guard let value = argument(name) else { throw UsageError("missing \(name)") }
        return value
    }

    /// An option's value as a whole number within `range`, or nil when absent.
    public func integer(_ name: String, in range: ClosedRange<Int64>) throws -> Int64? {
        guard let text = value(name) else { return nil }
        return try Self.integer(text, named: name, in: range)
    }

    /// `text` as a whole number within `range`, with a usage error naming `name` otherwise.
    public static func integer(_ text: String, named name: String, in range: ClosedRange<Int64>) throws -> Int64 {
        let digits = text.hasPrefix("-") ? text.dropFirst() : Substring(text)
        guard !digits.isEmpty, digits.allSatisfy({ $0.isASCII && $0.isNumber }), let number = Int64(text) else {
            throw UsageError("\(name) must be a whole number from \(range.lowerBound) to \(range.upperBound), not '\(text.prefix(40))'")
        }
        guard range.contains(number) else {
            throw UsageError("\(name) must be from \(range.lowerBound) to \(range.upperBound), not \(number)")
        }
        return number
    }

    /// An option's value as one of `choices`, or nil when absent.
    public func choice(_ name: String, in choices: [String]) throws -> String? {
        guard let text = value(name) else { return nil }
        guard choices.contains(text) else {
            throw UsageError("\(name) must be one of \(choices.joined(separator: ", ")), not '\(text.prefix(40))'"
                             + Suggestion.sentence(for: text, among: choices))
        }
        return text
    }
}
