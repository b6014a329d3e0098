/// Renders help pages and usage lines from command configurations.
struct HelpFormatter {
    let toolName: String
    let globalOptions: [Option]

    /// `boxoffice sell EVENT --category C … [options]` for the command at the end of `path`.
    func usageLine(_ path: [any ParsableCommand.Type]) -> String {
        let configuration = path.last!.configuration
        var words = [toolName] + path.dropFirst().map { $0.configuration.name }
        if let usage = configuration.usage {
            words.append(usage)
        } else if !configuration.subcommands.isEmpty, configuration.arguments.isEmpty {
            words.append("<subcommand>")
        } else {
            words += configuration.arguments.map(\.synopsis)
            words += configuration.options.filter(\.isRequired).map(\.synopsis)
            if configuration.options.contains(where: { !$0.isRequired }) { words.append("[options]") }
        }
        return words.joined(separator: " ")
    }

    /// `boxoffice sell` for the command at the end of `path`.
    func commandName(_ path: [any ParsableCommand.Type]) -> String {
        ([toolName] + path.dropFirst().map { $0.configuration.name }).joined(separator: " ")
    }

    /// The full help page.
    func help(_ path: [any ParsableCommand.Type]) -> String {
        let configuration = path.last!.configuration
        var lines = ["OVERVIEW: \(configuration.abstract)"]
        if let discussion = configuration.discussion { lines += ["", discussion] }
        lines += ["", "USAGE: \(usageLine(path))"]
        if !configuration.arguments.isEmpty {
            lines += ["", "ARGUMENTS:"] + configuration.arguments.map { row($0.name, $0.help) }
        }
        if !configuration.options.isEmpty {
            lines +=
                ["", "OPTIONS:"]
                + configuration.options.map {
                    row($0.synopsis, $0.help + ($0.isRequired ? " (required)" : ""))
                }
        }
        lines += ["", "GLOBAL OPTIONS:"] + globalOptions.map { row(optionLabel($0), $0.help) }
        if !configuration.subcommands.isEmpty {
            lines +=
                ["", "SUBCOMMANDS:"]
                + configuration.subcommands.map {
                    row($0.configuration.name, $0.configuration.abstract)
                }
            lines += ["", "  See '\(commandName(path)) <subcommand> --help' for details of each."]
        }
        return lines.joined(separator: "\n")
    }

    private func optionLabel(_ option: Option) -> String {
        option.shortName.map { "\($0), \(option.synopsis)" } ?? option.synopsis
    }

    private func row(_ label: String, _ help: String) -> String {
        let padded = "  " + label
        return padded.count < 28
            ? padded + String(repeating: " ", count: 28 - padded.count) + help
            : padded + "\n" + String(repeating: " ", count: 28) + help
    }
}
