import SyncWire

/// Anything a command declares as an option: help and parsing see the ``Option`` behind it.
public protocol OptionDeclaration: Sendable {
    /// The option as help and parsing see it.
    var option: Option { get }
}

extension Option: OptionDeclaration {
    public var option: Option { self }
}

/// An option taking one value, declared once and read back through the declaration itself with
/// its type: a misspelt declaration does not compile, and a malformed value is a usage error that
/// names the option and what it expects.
///
/// ```swift
/// static let quantity = TypedOption.integer("--qty", "N", in: 1...1000, help: "Number of tickets.")
/// let quantity = try arguments.value(Self.quantity)   // Int64?
/// ```
public struct TypedOption<Value: Sendable>: OptionDeclaration {
    public let option: Option
    let expected: String
    let suggestions: [String]
    let convert: @Sendable (String) throws -> Value?

    /// An option whose text `convert` turns into a value, or nil when it is not `expected`
    /// ("a whole number from 1 to 1000"); `convert` may also throw: a ``UsageError`` as it is,
    /// any other error as a usage error naming the option.
    /// A near miss of one of `suggestions` gets a "did you mean".
    public init(
        _ name: String, _ valueName: String, required: Bool = false, help: String, expected: String,
        suggestions: [String] = [], convert: @escaping @Sendable (String) throws -> Value?
    ) {
        option = .value(name, valueName, required: required, help: help)
        self.expected = expected
        self.suggestions = suggestions
        self.convert = convert
    }

    /// `text` as a value; a usage error names `name` (the option, or the setting it came from).
    func read(_ text: String, named name: String? = nil) throws -> Value {
        let name = name ?? option.name
        do {
            guard let value = try convert(text) else {
                let suggestion = Suggestion.sentence(for: text, among: suggestions)
                throw UsageError(
                    "\(name) must be \(expected), not '\(text.prefix(40))'"
                        + (suggestion.isEmpty ? "" : "." + suggestion))
            }
            return value
        } catch let error as UsageError {
            guard name != option.name else { throw error }
            throw UsageError(error.message.replacing(option.name + " ", with: name + " "))
        } catch {
            throw UsageError("\(name): \(error)")
        }
    }
}

extension TypedOption where Value == String {
    /// Free text (bounded and checked by the library that receives it).
    public static func text(_ name: String, _ valueName: String, required: Bool = false, help: String) -> TypedOption<
        String
    > {
        TypedOption(name, valueName, required: required, help: help, expected: "text") { $0 }
    }
}

extension TypedOption where Value == Int64 {
    /// A whole number within `range`.
    public static func integer(
        _ name: String, _ valueName: String, in range: ClosedRange<Int64>, required: Bool = false,
        help: String
    ) -> TypedOption<Int64> {
        TypedOption(
            name, valueName, required: required, help: help,
            expected: "a whole number from \(range.lowerBound) to \(range.upperBound)"
        ) { text in
            let digits = text.hasPrefix("-") ? text.dropFirst() : Substring(text)
            guard !digits.isEmpty, digits.allSatisfy({ $0.isASCII && $0.isNumber }), let number = Int64(text) else {
                return nil
            }
            guard range.contains(number) else {
                throw UsageError("\(name) must be from \(range.lowerBound) to \(range.upperBound), not \(number)")
            }
            return number
        }
    }
}

extension TypedOption where Value == Double {
    /// A duration (`500ms`, `90s`, `10m`, `2h`, `1d`), read as seconds, within `range` seconds.
    public static func duration(_ name: String, in range: ClosedRange<Double>, help: String) -> TypedOption<Double> {
        TypedOption(
            name, "DURATION", help: help,
            expected: "a duration like 500ms, 90s, 10m, 2h or 1d, "
                + "from \(Self.describe(range.lowerBound)) to \(Self.describe(range.upperBound))"
        ) { text in
            DurationText.milliseconds(text).map { Double($0) / 1000 }.flatMap { range.contains($0) ? $0 : nil }
        }
    }

    static func describe(_ seconds: Double) -> String {
        switch seconds {
        case ..<1: "\(Int(seconds * 1000))ms"
        case ..<60 where seconds == seconds.rounded(): "\(Int(seconds))s"
        case ..<3600 where seconds.truncatingRemainder(dividingBy: 60) == 0: "\(Int(seconds / 60))m"
        case _ where seconds.truncatingRemainder(dividingBy: 86_400) == 0: "\(Int(seconds / 86_400))d"
        case _ where seconds.truncatingRemainder(dividingBy: 3600) == 0: "\(Int(seconds / 3600))h"
        default: "\(seconds)s"
        }
    }
}

extension TypedOption where Value == Int64 {
    /// A duration in whole seconds (`90s`, `10m`, `2h`, `1d`), within `range` seconds.
    public static func seconds(_ name: String, in range: ClosedRange<Int64>, help: String) -> TypedOption<Int64> {
        TypedOption(
            name, "DURATION", help: help,
            expected: "a duration in whole seconds like 90s, 10m, 2h or 1d, from "
                + "\(TypedOption<Double>.describe(Double(range.lowerBound))) to \(TypedOption<Double>.describe(Double(range.upperBound)))"
        ) {
            DurationText.seconds($0).flatMap { range.contains($0) ? $0 : nil }
        }
    }
}

extension TypedOption where Value: RawRepresentable & CaseIterable, Value.RawValue == String {
    /// One of an enumeration's cases, by its raw value; a near miss gets a "did you mean".
    public static func choice(_ name: String, _ valueName: String, required: Bool = false, help: String) -> TypedOption<
        Value
    > {
        let names = Value.allCases.map(\.rawValue)
        return TypedOption(
            name, valueName, required: required, help: help, expected: "one of \(names.joined(separator: ", "))",
            suggestions: names
        ) { Value(rawValue: $0) }
    }
}

/// A flag: present or not.
public struct FlagOption: OptionDeclaration {
    public let option: Option

    /// A flag named `name` (`--json`), with a one-letter alias when given (`-h`).
    public init(_ name: String, short: String? = nil, help: String) { option = .flag(name, short: short, help: help) }
}

/// An option taking one or more values (`--seat A-1 A-2`, or repeated).
public struct ListOption: OptionDeclaration {
    public let option: Option

    /// A list option.
    public init(_ name: String, _ valueName: String, required: Bool = false, help: String) {
        option = .values(name, valueName, required: required, help: help)
    }
}

/// A positional argument, declared once and read back through the declaration.
public struct TypedArgument: Sendable {
    /// The argument as help and parsing see it.
    public let argument: Argument

    /// A positional argument (`EVENT`).
    public init(_ name: String, help: String, optional: Bool = false, variadic: Bool = false) {
        argument = Argument(name, help: help, optional: optional, variadic: variadic)
    }
}

extension ParsedArguments {
    /// The option's value, or nil when it was not given; a malformed value is a usage error.
    public func value<Value>(_ declared: TypedOption<Value>) throws -> Value? {
        try value(declared.option.name).map { try declared.read($0) }
    }

    /// The option's value; missing or malformed is a usage error.
    public func required<Value>(_ declared: TypedOption<Value>) throws -> Value {
        guard let value = try value(declared) else { throw UsageError("missing \(declared.option.name)") }
        return value
    }

    /// Whether the flag was given.
    public func isSet(_ declared: FlagOption) -> Bool { flag(declared.option.name) }

    /// Every value of a list option, in order (empty when not given).
    public func values(_ declared: ListOption) -> [String] { values(declared.option.name) }

    /// The value of a positional argument, or nil when an optional one was left out.
    public func value(_ declared: TypedArgument) -> String? { argument(declared.argument.name) }

    /// The value of a positional argument that must be present.
    public func required(_ declared: TypedArgument) throws -> String {
        guard let value = argument(declared.argument.name) else {
            throw UsageError("missing \(declared.argument.name)")
        }
        return value
    }

    /// Every value of a variadic positional argument.
    public func values(_ declared: TypedArgument) -> [String] { arguments(declared.argument.name) }
}
