/// What a command declares about itself; help, usage lines and parsing all come from it.
public struct CommandConfiguration: Sendable {
    /// The word that selects the command (`sell`).
    public var name: String
    /// One line saying what the command does.
    public var abstract: String
    /// Longer help shown under the overview, if any.
    public var discussion: String?
    /// A hand-written synopsis after the command path, for shapes the generated one cannot say
    /// (`EVENT --category C (--qty N | --seat SEAT...)`).
    public var usage: String?
    /// Positional arguments, in order.
    public var arguments: [Argument]
    /// Options specific to this command.
    public var options: [Option]
    /// Nested commands (`users add`).
    public var subcommands: [any ParsableCommand.Type]

    /// Declares a command.
    public init(name: String, abstract: String, discussion: String? = nil, usage: String? = nil,
                arguments: [Argument] = [], options: [Option] = [], subcommands: [any ParsableCommand.Type] = []) {
        self.name = name
        self.abstract = abstract
        self.discussion = discussion
        self.usage = usage
        self.arguments = arguments
        self.options = options
        self.subcommands = subcommands
    }
}

/// A command: a type with a configuration and a `run`.
///
/// ```swift
/// struct Release: ParsableCommand {
///     static let configuration = CommandConfiguration(
///         name: "release", abstract: "Release a hold.", arguments: [Argument("HOLD", help: "The hold id.")])
///     static func run(_ arguments: ParsedArguments) throws { … }
/// }
/// ```
public protocol ParsableCommand: Sendable {
    /// The declaration help and parsing are generated from.
    static var configuration: CommandConfiguration { get }
    /// Does the work. Groups of subcommands need not implement it.
    static func run(_ arguments: ParsedArguments) throws
}

extension ParsableCommand {
    /// A group without its own behaviour asks for a subcommand.
    public static func run(_ arguments: ParsedArguments) throws {
        throw UsageError("missing subcommand; choose one of: "
                         + configuration.subcommands.map { $0.configuration.name }.joined(separator: ", "))
    }
}
