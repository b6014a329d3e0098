/// An option a command accepts: a flag, an option with one value, or one with several values.
public struct Option: Sendable, Equatable {
    /// How many values follow the option name.
    public enum Arity: Sendable, Equatable {
        /// No value: `--json`.
        case flag
        /// One value: `--category STALLS` or `--category=STALLS`. Given twice is an error.
        case single
        /// One or more values: `--seat A-1 A-2` or `--seat A-1 --seat A-2`.
        case multiple
    }

    /// The long name with its dashes: `--category`.
    public let name: String
    /// A one-letter alias with its dash (`-h`), if any.
    public let shortName: String?
    /// The placeholder shown in help (`C`, `PATH`).
    public let valueName: String?
    /// One line of help.
    public let help: String
    /// Flag, single or multiple values.
    public let arity: Arity
    /// True when the command cannot run without it.
    public let isRequired: Bool

    /// A flag: present or not.
    public static func flag(_ name: String, short: String? = nil, help: String) -> Option {
        Option(name: name, shortName: short, valueName: nil, help: help, arity: .flag, isRequired: false)
    }

    /// An option taking one value.
    public static func value(_ name: String, _ valueName: String, required: Bool = false, help: String) -> Option {
        Option(name: name, shortName: nil, valueName: valueName, help: help, arity: .single, isRequired: required)
    }

    /// An option taking one or more values.
    public static func values(_ name: String, _ valueName: String, required: Bool = false, help: String) -> Option {
        Option(name: name, shortName: nil, valueName: valueName, help: help, arity: .multiple, isRequired: required)
    }

    /// How the option reads in a usage line: `--category C`, `--seat SEAT...`, `--json`.
    var synopsis: String {
        switch arity {
        case .flag: name
        case .single: "\(name) \(valueName ?? "VALUE")"
        case .multiple: "\(name) \(valueName ?? "VALUE")..."
        }
    }
}

/// A positional argument.
public struct Argument: Sendable, Equatable {
    /// The placeholder shown in help and used to read the value back (`EVENT`).
    public let name: String
    /// One line of help.
    public let help: String
    /// True when it may be left out.
    public let isOptional: Bool
    /// True when it takes every remaining positional value (only the last argument may).
    public let isVariadic: Bool

    /// A positional argument.
    public init(_ name: String, help: String, optional: Bool = false, variadic: Bool = false) {
        self.name = name
        self.help = help
        isOptional = optional
        isVariadic = variadic
    }

    var synopsis: String {
        let base = isVariadic ? "\(name)..." : name
        return isOptional ? "[\(base)]" : base
    }
}
