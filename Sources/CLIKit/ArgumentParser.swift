/// Splits a command line into the command it selects and that command's values.
///
/// Global options (declared once by the tool) are accepted anywhere; a command's own options
/// after its name. `--name=value` and `--name value` are the same; `--` ends options.
struct ArgumentParser {
    let root: any ParsableCommand.Type
    let globalOptions: [Option]

    /// The result: which command, and what it was given.
    struct Parsed {
        var command: any ParsableCommand.Type
        var arguments: ParsedArguments
        var helpRequested: Bool
    }

    /// A usage error found while parsing, with the command reached so far (for its usage line).
    struct Failure: Error {
        var error: UsageError
        var commandPath: [any ParsableCommand.Type]
    }

    func parse(_ tokens: [String]) throws(Failure) -> Parsed {
        var path: [any ParsableCommand.Type] = [root]
        var optionValues: [String: [String]] = [:]
        var flags: Set<String> = []
        var positionals: [String] = []
        var helpRequested = false
        var index = 0
        var onlyPositionals = false

        func fail(_ message: String) -> Failure { Failure(error: UsageError(message), commandPath: path) }

        while index < tokens.count {
            let token = tokens[index]
            index += 1
            if onlyPositionals || !token.hasPrefix("-") || token == "-" {
                let current = path.last!.configuration
                if positionals.isEmpty, !onlyPositionals, !current.subcommands.isEmpty {
                    if let sub = current.subcommands.first(where: { $0.configuration.name == token }) {
                        path.append(sub)
                        continue
                    }
                    if current.arguments.isEmpty {
                        let names = current.subcommands.map { $0.configuration.name }
                        throw fail(
                            "unknown command '\(token.prefix(60))'." + Suggestion.sentence(for: token, among: names))
                    }
                }
                positionals.append(token)
                continue
            }
            if token == "--" {
                onlyPositionals = true
                continue
            }
            if token == "--help" || token == "-h" {
                helpRequested = true
                continue
            }
            var name = token
            var inlineValue: String?
            if let equals = token.firstIndex(of: "=") {
                name = String(token[..<equals])
                inlineValue = String(token[token.index(after: equals)...])
            }
            let known = path.last!.configuration.options + globalOptions
            guard let option = known.first(where: { $0.name == name || $0.shortName == name }) else {
                throw fail(
                    "unknown option '\(name.prefix(60))'." + Suggestion.sentence(for: name, among: known.map(\.name)))
            }
            switch option.arity {
            case .flag:
                guard inlineValue == nil else { throw fail("\(option.name) takes no value") }
                flags.insert(option.name)
            case .single:
                guard optionValues[option.name] == nil else { throw fail("\(option.name) given more than once") }
                if let inlineValue {
                    optionValues[option.name] = [inlineValue]
                } else {
                    guard index < tokens.count else { throw fail("\(option.name) needs a value (\(option.synopsis))") }
                    optionValues[option.name] = [tokens[index]]
                    index += 1
                }
            case .multiple:
                var values = inlineValue.map { [$0] } ?? []
                while index < tokens.count, !tokens[index].hasPrefix("--") {
                    values.append(tokens[index])
                    index += 1
                }
                guard !values.isEmpty else {
                    throw fail("\(option.name) needs at least one value (\(option.synopsis))")
                }
                optionValues[option.name, default: []] += values
            }
        }

        var arguments = ParsedArguments(commandPath: path.dropFirst().map { $0.configuration.name })
        arguments.optionValues = optionValues
        arguments.flags = flags
        if helpRequested {
            return Parsed(command: path.last!, arguments: arguments, helpRequested: true)
        }
        let configuration = path.last!.configuration
        for declared in configuration.arguments {
            if declared.isVariadic {
                arguments.argumentValues[declared.name] = positionals
                positionals = []
            } else if !positionals.isEmpty {
                arguments.argumentValues[declared.name] = [positionals.removeFirst()]
            }
            if !declared.isOptional, arguments.argumentValues[declared.name, default: []].isEmpty {
                throw fail("missing \(declared.name)")
            }
        }
        if let extra = positionals.first {
            throw fail("unexpected argument '\(extra.prefix(60))'")
        }
        for option in configuration.options where option.isRequired && optionValues[option.name] == nil {
            throw fail("missing \(option.name)")
        }
        return Parsed(command: path.last!, arguments: arguments, helpRequested: false)
    }
}
