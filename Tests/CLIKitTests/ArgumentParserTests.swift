@testable import CLIKit
import Testing

private struct Root: ParsableCommand {
    static let configuration = CommandConfiguration(name: "tool", abstract: "A test tool.", subcommands: [Sell.self, Users.self])
}

private struct Sell: ParsableCommand {
    static let configuration = CommandConfiguration(
        name: "sell", abstract: "Sell.", arguments: [Argument("EVENT", help: "The event.")],
        options: [.value("--category", "C", required: true, help: "Category."), .values("--seat", "SEAT", help: "Seats."),
                  .value("--qty", "N", help: "Quantity."), .flag("--dry-run", help: "Dry.")])
    static func run(_ arguments: ParsedArguments) throws {}
}

private struct Users: ParsableCommand {
    static let configuration = CommandConfiguration(name: "users", abstract: "Users.", subcommands: [Add.self])
    struct Add: ParsableCommand {
        static let configuration = CommandConfiguration(
            name: "add", abstract: "Add.", arguments: [Argument("NAME", help: "Name.")],
            options: [.value("--role", "R", required: true, help: "Role.")])
        static func run(_ arguments: ParsedArguments) throws {}
    }
}

@Suite struct ArgumentParserTests {
    let parser = ArgumentParser(root: Root.self, globalOptions: [.value("--db", "PATH", help: "db"), .flag("--json", help: "json")])

    private func parse(_ line: String) throws(ArgumentParser.Failure) -> ArgumentParser.Parsed {
        try parser.parse(line.split(separator: " ").map(String.init))
    }

    private func usageMessage(_ line: String) -> String? {
        do {
            _ = try parse(line)
            return nil
        } catch {
            return error.error.message
        }
    }

    @Test func globalOptionsGoAnywhereAndValuesTakeBothSpellings() throws {
        let parsed = try parse("--db x.sqlite sell GALA --category=STALLS --seat A-1 A-2 --seat A-3 --json")
        #expect(parsed.arguments.commandPath == ["sell"])
        #expect(parsed.arguments.value("--db") == "x.sqlite")
        #expect(parsed.arguments.value("--category") == "STALLS")
        #expect(parsed.arguments.values("--seat") == ["A-1", "A-2", "A-3"])
        #expect(parsed.arguments.argument("EVENT") == "GALA")
        #expect(parsed.arguments.flag("--json") && !parsed.arguments.flag("--dry-run"))
    }

    @Test func nestedSubcommands() throws {
        let parsed = try parse("users add ana --role cashier")
        #expect(parsed.arguments.commandPath == ["users", "add"])
        #expect(parsed.arguments.argument("NAME") == "ana")
    }

    @Test func aSingleValueOptionTakesANegativeLookingValue() throws {
        let parsed = try parse("sell GALA --category S --qty -5")
        #expect(parsed.arguments.value("--qty") == "-5")
        #expect(throws: UsageError.self) { try parsed.arguments.integer("--qty", in: 1...20) }
    }

    @Test func mistakesGetOneClearSentence() {
        #expect(usageMessage("selll GALA") == "unknown command 'selll'. Did you mean 'sell'?")
        #expect(usageMessage("sell GALA --categroy S") == "unknown option '--categroy'. Did you mean '--category'?")
        #expect(usageMessage("sell GALA") == "missing --category")
        #expect(usageMessage("sell --category S") == "missing EVENT")
        #expect(usageMessage("sell GALA extra --category S") == "unexpected argument 'extra'")
        #expect(usageMessage("sell GALA --category S --category T") == "--category given more than once")
        #expect(usageMessage("sell GALA --category") == "--category needs a value (--category C)")
        #expect(usageMessage("sell GALA --category S --seat") == "--seat needs at least one value (--seat SEAT...)")
        #expect(usageMessage("sell GALA --category S --dry-run=yes") == "--dry-run takes no value")
    }

    @Test func helpIsRequestedAnywhereAndSkipsValidation() throws {
        let parsed = try parse("sell --help")
        #expect(parsed.helpRequested)
        let help = HelpFormatter(toolName: "tool", globalOptions: []).help([Root.self, Sell.self])
        #expect(help.contains("USAGE: tool sell EVENT --category C [options]"))
        #expect(help.contains("--seat SEAT..."))
    }

    @Test(arguments: [("12", 12 as Int64?), ("0", nil), ("21", nil), ("1e3", nil), ("", nil), ("99999999999999999999999", nil), ("+3", nil)])
    func integersAreStrict(text: String, expected: Int64?) {
        let value = try? ParsedArguments.integer(text, named: "--qty", in: 1...20)
        #expect(value == expected)
    }

    @Test func suggestionsOnlyForCloseMatches() {
        #expect(Suggestion.closest(to: "refnd", among: ["refund", "release"]) == "refund")
        #expect(Suggestion.closest(to: "xyz", among: ["refund", "release"]) == nil)
    }
}
