import SyncWire

#if canImport(Glibc)
    import Glibc
#endif
/// How a failed command is reported: its exit code, a stable machine code and one line for people.
public struct Failure: Error, Sendable, Equatable, Encodable {
    /// The process exit code.
    public let exitCode: Int32
    /// A stable snake_case code for scripts (`sold_out`).
    public let code: String
    /// One sentence for the person at the terminal.
    public let message: String
    /// True when the command already printed its outcome (a report with open findings): with
    /// `--json`, stdout then holds that one document and no error document is added.
    public let outcomePrinted: Bool

    /// A failure report.
    public init(exitCode: Int32, code: String, message: String, outcomePrinted: Bool = false) {
        self.exitCode = exitCode
        self.code = code
        self.message = message
        self.outcomePrinted = outcomePrinted
    }

    private enum CodingKeys: String, CodingKey { case exitCode, code, message }
}

/// Runs a tree of commands: parses, prints help and version, runs, and turns every error into
/// one clear line on stderr (plus a JSON error object on stdout with `--json`) and an exit code.
///
/// Usage errors exit 2 and print the usage line and where to find help; other errors go through
/// `describe`, the one place where a tool maps its errors to exit codes.
public struct CommandLineTool {
    /// The executable's name (`boxoffice`).
    public let name: String
    /// Printed by `--version`.
    public let version: String
    /// The root command; its subcommands are the tool's commands.
    public let root: any ParsableCommand.Type
    /// Options every command accepts (`--db`, `--json`); `--help` and `--version` are added here.
    let globalOptions: [Option]
    /// Maps an error thrown by a command to its report; usage errors are handled before.
    public let describe: (Error) -> Failure

    /// A tool.
    public init(
        name: String, version: String, root: any ParsableCommand.Type, globalOptions: [any OptionDeclaration],
        describe: @escaping (Error) -> Failure
    ) {
        self.name = name
        self.version = version
        self.root = root
        self.globalOptions =
            globalOptions.map(\.option) + [
                .flag("--help", short: "-h", help: "Show help for the command."),
                .flag("--version", help: "Show the version."),
            ]
        self.describe = describe
    }

    /// Runs the command line (without the program name) and returns the exit code. When stdout
    /// could not take the result (a full disk, a closed pipe), that is said on stderr and the exit
    /// code stays the outcome's: a command that committed must not look as if it had failed.
    public func run(_ tokens: [String]) -> Int32 {
        // A closed pipe on stdout is an error to report, not a signal that ends the process.
        signal(SIGPIPE, SIG_IGN)
        // Signals blocked by the parent stay blocked across exec: a program that starts commands
        // from a thread (Foundation's Process from a Dispatch worker) hands on a mask blocking
        // nearly every signal, and Ctrl-C or SIGTERM would then never reach `nodes --watch`.
        var none = sigset_t()
        sigemptyset(&none)
        sigprocmask(SIG_SETMASK, &none, nil)
        let status = execute(tokens)
        if let failure = Output.failedWrite {
            Output.writeStandardError(
                "Error: the result could not be written to standard output (\(failure)); "
                    + (status == 0 ? "the command itself succeeded" : "the command's exit code is \(status)") + "\n")
        }
        return status
    }

    private func execute(_ tokens: [String]) -> Int32 {
        let formatter = HelpFormatter(toolName: name, globalOptions: globalOptions)
        let json = tokens.contains("--json")
        let parsed: ArgumentParser.Parsed
        do {
            parsed = try ArgumentParser(root: root, globalOptions: globalOptions).parse(tokens)
        } catch {
            return reportUsage(error.error, path: error.commandPath, formatter: formatter, json: json)
        }
        if parsed.helpRequested {
            Output.writeStandardOutput(formatter.help(commandPath(parsed)) + "\n")
            return 0
        }
        if parsed.arguments.flag("--version") {
            Output(json: json).emit(["name": name, "version": version]) { _ in "\(name) \(version)" }
            return 0
        }
        do {
            let command = try parsed.command.init(parsed.arguments)
            try command.run()
            return 0
        } catch let error as UsageError {
            return reportUsage(error, path: commandPath(parsed), formatter: formatter, json: json)
        } catch {
            let failure = (error as? Failure) ?? describe(error)
            // A message may quote what another program wrote (central's reasons, another node's
            // gate): no escape sequence of it reaches the operator's terminal.
            Output.writeStandardError("Error: \(SyncLimits.printable(failure.message))\n")
            if json, !failure.outcomePrinted { Output.writeJSON(["error": failure]) }
            return failure.exitCode
        }
    }

    private func commandPath(_ parsed: ArgumentParser.Parsed) -> [any ParsableCommand.Type] {
        var path: [any ParsableCommand.Type] = [root]
        for name in parsed.arguments.commandPath {
            guard let next = path.last!.configuration.subcommands.first(where: { $0.configuration.name == name }) else {
                break
            }
            path.append(next)
        }
        return path
    }

    private func reportUsage(
        _ error: UsageError, path: [any ParsableCommand.Type], formatter: HelpFormatter,
        json: Bool
    ) -> Int32 {
        Output.writeStandardError(
            """
            Error: \(error.message)
            Usage: \(formatter.usageLine(path))
            See '\(formatter.commandName(path)) --help'.

            """)
        if json { Output.writeJSON(["error": Failure(exitCode: 2, code: "usage", message: error.message)]) }
        return 2
    }
}
