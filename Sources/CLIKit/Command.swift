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

    /// Declares a command from its typed declarations.
    public init(
        name: String, abstract: String, discussion: String? = nil, usage: String? = nil,
        arguments: [TypedArgument] = [], options: [any OptionDeclaration] = [],
        subcommands: [any ParsableCommand.Type] = []
    ) {
        self.name = name
        self.abstract = abstract
        self.discussion = discussion
        self.usage = usage
        self.arguments = arguments.map(\.argument)
        self.options = options.map(\.option)
        self.subcommands = subcommands
    }
}

/// A command: a type with a configuration; an instance of it is a command line read and checked.
///
/// As in swift-argument-parser, `init(_:)` is the validate step: it reads each declared option
/// through its declaration, typed, and throws a ``UsageError`` for anything missing, malformed or
/// contradictory, before anything runs. `run()` then does the work.
///
/// ```swift
/// struct Release: ParsableCommand {
///     static let hold = TypedArgument("HOLD", help: "The hold id.")
///     static let configuration = CommandConfiguration(name: "release", abstract: "Release a hold.", arguments: [hold])
///     let holdID: String
///     init(_ arguments: ParsedArguments) throws { holdID = try arguments.required(Self.hold) }
///     func run() throws { … }
/// }
/// ```
public protocol ParsableCommand: Sendable {
    /// The declaration help and parsing are generated from.
    static var configuration: CommandConfiguration { get }
    /// Reads and checks the command line: the command's typed options.
    init(_ arguments: ParsedArguments) throws
    /// Does the work. Groups of subcommands need not implement it.
    func run() throws
}

extension ParsableCommand {
    /// A group without its own behaviour asks for a subcommand.
    public func run() throws {
        throw UsageError(
            "missing subcommand; choose one of: "
                + Self.configuration.subcommands.map { $0.configuration.name }.joined(separator: ", "))
    }
}
