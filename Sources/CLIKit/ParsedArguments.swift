/// The values a command line gave. Commands read them through their typed declarations
/// (``TypedOption``, ``FlagOption``, ``ListOption``, ``TypedArgument``), never by name.
public struct ParsedArguments: Sendable {
    /// Command names from the root's subcommand down (`["users", "add"]`).
    public let commandPath: [String]
    var optionValues: [String: [String]] = [:]
    var flags: Set<String> = []
    var argumentValues: [String: [String]] = [:]

    init(commandPath: [String]) { self.commandPath = commandPath }

    /// Whether a flag was given.
    func flag(_ name: String) -> Bool { flags.contains(name) }

    /// The value of a single-value option, if given.
    func value(_ name: String) -> String? { optionValues[name]?.last }

    /// Every value of a multiple-value option, in order.
    func values(_ name: String) -> [String] { optionValues[name] ?? [] }

    /// The value of a positional argument, if given.
    func argument(_ name: String) -> String? { argumentValues[name]?.first }

    /// Every value of a variadic positional argument.
    func arguments(_ name: String) -> [String] { argumentValues[name] ?? [] }
}
