import Testing

@testable import CLIKit

private struct Root: ParsableCommand {
    static let configuration = CommandConfiguration(
        name: "tool", abstract: "A test tool.", subcommands: [Sell.self, Users.self])
    init(_ arguments: ParsedArguments) {}
}

private enum Speed: String, CaseIterable, Sendable { case slow, fast }

private struct Sell: ParsableCommand {
    static let event = TypedArgument("EVENT", help: "The event.")
    static let category = TypedOption.text("--category", "C", required: true, help: "Category.")
    static let seats = ListOption("--seat", "SEAT", help: "Seats.")
    static let quantity = TypedOption.integer("--qty", "N", in: 1...20, help: "Quantity.")
    static let dryRun = FlagOption("--dry-run", help: "Dry.")
    static let wait = TypedOption.duration("--wait", in: 0.5...60, help: "Wait.")
    static let timeout = TypedOption.seconds("--timeout", in: 1...3600, help: "Timeout.")
    static let speed = TypedOption<Speed>.choice("--speed", "S", help: "Speed.")
    static let configuration = CommandConfiguration(
        name: "sell", abstract: "Sell.", arguments: [event],
        options: [category, seats, quantity, dryRun, wait, timeout, speed])
    init(_ arguments: ParsedArguments) {}
}

private struct Users: ParsableCommand {
    static let configuration = CommandConfiguration(name: "users", abstract: "Users.", subcommands: [Add.self])
    init(_ arguments: ParsedArguments) {}
    struct Add: ParsableCommand {
        static let name = TypedArgument("NAME", help: "Name.")
        static let role = TypedOption.text("--role", "R", required: true, help: "Role.")
        static let configuration = CommandConfiguration(
            name: "add", abstract: "Add.", arguments: [name], options: [role])
        init(_ arguments: ParsedArguments) {}
    }
}

private let database = TypedOption.text("--db", "PATH", help: "db")
private let json = FlagOption("--json", help: "json")

@Suite struct ArgumentParserTests {
    let parser = ArgumentParser(root: Root.self, globalOptions: [database.option, json.option])

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
        #expect(try parsed.arguments.value(database) == "x.sqlite")
        #expect(try parsed.arguments.required(Sell.category) == "STALLS")
        #expect(parsed.arguments.values(Sell.seats) == ["A-1", "A-2", "A-3"])
        #expect(try parsed.arguments.required(Sell.event) == "GALA")
        #expect(parsed.arguments.isSet(json) && !parsed.arguments.isSet(Sell.dryRun))
    }

    @Test func nestedSubcommands() throws {
        let parsed = try parse("users add ana --role cashier")
        #expect(parsed.arguments.commandPath == ["users", "add"])
        #expect(parsed.arguments.value(Users.Add.name) == "ana")
    }

    @Test func aSingleValueOptionTakesANegativeLookingValue() throws {
        let parsed = try parse("sell GALA --category S --qty -5")
        #expect(throws: UsageError("--qty must be from 1 to 20, not -5")) { try parsed.arguments.value(Sell.quantity) }
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

    @Test(arguments: [
        ("12", 12 as Int64?), ("0", nil), ("21", nil), ("1e3", nil), ("", nil), ("99999999999999999999999", nil),
        ("+3", nil),
    ])
    func integersAreStrict(text: String, expected: Int64?) throws {
        let parsed = try parse("sell GALA --category S --qty=\(text)")
        #expect((try? parsed.arguments.value(Sell.quantity)) == expected)
    }

    @Test(arguments: [
        ("500ms", 0.5 as Double?), ("2s", 2), ("1m", 60), ("45", 45), ("90", nil), ("400ms", nil), ("2m", nil),
        ("1.5s", nil), ("s", nil),
    ])
    func durationsAreReadWithTheirUnitAndBounded(text: String, expected: Double?) throws {
        let parsed = try parse("sell GALA --category S --wait \(text)")
        #expect((try? parsed.arguments.value(Sell.wait)) == expected)
    }

    @Test func malformedValuesNameTheOptionAndWhatItExpects() throws {
        let parsed = try parse("sell GALA --category S --wait soon --timeout 1500ms --speed fastt")
        #expect(
            throws: UsageError("--wait must be a duration like 500ms, 90s, 10m, 2h or 1d, from 500ms to 1m, not 'soon'")
        ) {
            try parsed.arguments.value(Sell.wait)
        }
        #expect(
            throws: UsageError(
                "--timeout must be a duration in whole seconds like 90s, 10m, 2h or 1d, from 1s to 1h, not '1500ms'")
        ) {
            try parsed.arguments.value(Sell.timeout)
        }
        #expect(throws: UsageError("--speed must be one of slow, fast, not 'fastt'. Did you mean 'fast'?")) {
            try parsed.arguments.value(Sell.speed)
        }
        #expect(try parse("sell GALA --category S --speed slow").arguments.value(Sell.speed) == .slow)
    }

    @Test func suggestionsOnlyForCloseMatches() {
        #expect(Suggestion.closest(to: "refnd", among: ["refund", "release"]) == "refund")
        #expect(Suggestion.closest(to: "xyz", among: ["refund", "release"]) == nil)
    }
}
