import CLIKit
import SyncWire
import Ticketing

struct DrawerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        name: "drawer", abstract: "Open and close your cash drawer: the float in, the count out, over or short.",
        subcommands: [Open.self, Close.self, Show.self])

    init(_ arguments: ParsedArguments) {}

    static func render(_ drawer: DrawerSummary, timezone: String) -> String {
        var lines = [
            "Drawer \(drawer.drawerID) of \(drawer.cashier), opened \(drawer.openedAt.local(in: timezone))"
                + (drawer.closedAt.map { ", closed \($0.local(in: timezone))" } ?? " (open)"),
            "Float:        \(drawer.float)", "Cash sales:   \(drawer.cashSales)", "Cash refunds: \(drawer.cashRefunds)",
            "Expected:     \(drawer.expected)",
        ]
        if let counted = drawer.counted, let difference = drawer.overShort {
            lines.append("Counted:      \(counted)")
            lines.append(
                difference.minor == 0
                    ? "Balanced." : difference.minor > 0 ? "Over:         \(difference)" : "Short:        \(difference)"
            )
        }
        return lines.joined(separator: "\n")
    }

    struct Open: ParsableCommand {
        static let float = TypedOption.integer(
            "--float", "MINOR", in: 0...100_000_000, required: true,
            help: "Cash in the drawer to start with, in minor units.")
        static let configuration = CommandConfiguration(
            name: "open", abstract: "Open your drawer with a float.", options: [float])

        let context: Context
        let float: Int64

        init(_ arguments: ParsedArguments) throws {
            context = try Context(arguments)
            float = try arguments.required(Self.float)
        }

        func run() throws {
            let (node, actor) = try context.signedIn()
            let drawer = try node.drawers.open(floatMinor: float, by: actor)
            let zone = try node.reports.timezone()
            context.output.emit(drawer) { DrawerCommand.render($0, timezone: zone) }
        }
    }

    struct Close: ParsableCommand {
        static let counted = TypedOption.integer(
            "--counted", "MINOR", in: 0...100_000_000, required: true,
            help: "Cash counted in the drawer, in minor units.")
        static let configuration = CommandConfiguration(
            name: "close", abstract: "Close your drawer with what you counted: expected, over or short.",
            options: [counted])

        let context: Context
        let counted: Int64

        init(_ arguments: ParsedArguments) throws {
            context = try Context(arguments)
            counted = try arguments.required(Self.counted)
        }

        func run() throws {
            let (node, actor) = try context.signedIn()
            let drawer = try node.drawers.close(countedMinor: counted, by: actor)
            let zone = try node.reports.timezone()
            context.output.emit(drawer) { DrawerCommand.render($0, timezone: zone) }
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(
            name: "status", abstract: "Your open drawer, else your last one.")

        let context: Context

        init(_ arguments: ParsedArguments) throws { context = try Context(arguments) }

        func run() throws {
            let (node, actor) = try context.signedIn()
            let zone = try node.reports.timezone()
            context.output.emit(try node.drawers.current(of: actor)) { DrawerCommand.render($0, timezone: zone) }
        }
    }
}

struct ReportCommand: ParsableCommand {
    static let csv = FlagOption("--csv", help: "Print CSV for spreadsheets (RFC 4180).")
    static let configuration = CommandConfiguration(
        name: "report", abstract: "Closing reports of the counter: a shift, or a day.",
        subcommands: [Shift.self, Day.self])

    init(_ arguments: ParsedArguments) {}

    /// Text, JSON or CSV, as asked.
    static func emit(_ report: CounterReport, context: Context, csv: Bool) throws {
        if csv {
            guard !context.output.json else { throw UsageError("give --csv or --json, not both") }
            Output.writeStandardOutput(Self.csv(report))
        } else {
            context.output.emit(report, text: Self.text)
        }
    }

    static func text(_ report: CounterReport) -> String {
        let zone = report.timezone
        var lines = [
            (report.kind == .shift ? "Shift of \(report.cashier ?? "?")" : "Day")
                + ": \(report.from.local(in: zone)) – \(report.until.local(in: zone))", "",
        ]
        func table(_ title: String, _ totals: [CounterReport.MethodTotal]) -> String {
            totals.isEmpty
                ? "\(title): none"
                : TextTable.render(
                    [title, "ORDERS", "TICKETS", "AMOUNT"],
                    totals.map { [$0.method.rawValue, String($0.orders), String($0.tickets), $0.amount.description] })
        }
        lines.append(table("SALES", report.sales))
        lines.append("")
        lines.append(table("REFUNDS", report.refunds))
        lines.append("")
        let comps = report.sales.first { $0.method == .comp }
        lines.append("Comps: \(comps?.tickets ?? 0) ticket(s)")
        lines.append("Net:   \(report.netTickets) ticket(s), \(report.net)")
        if !report.drawers.isEmpty {
            lines.append("")
            lines.append(
                TextTable.render(
                    ["DRAWER", "CASHIER", "FLOAT", "CASH SALES", "CASH REFUNDS", "EXPECTED", "COUNTED", "OVER/SHORT"],
                    report.drawers.map {
                        [
                            $0.drawerID, $0.cashier, $0.float.description, $0.cashSales.description,
                            $0.cashRefunds.description, $0.expected.description, $0.counted?.description ?? "open",
                            $0.overShort?.description ?? "-",
                        ]
                    }))
        }
        return lines.joined(separator: "\n")
    }

    static func csv(_ report: CounterReport) -> String {
        var rows = [[String]]()
        for (section, totals) in [("sale", report.sales), ("refund", report.refunds)] {
            rows += totals.map {
                [
                    section, $0.method.rawValue, String($0.orders), String($0.tickets), String($0.amount.minor), "", "",
                    "", $0.amount.currency,
                ]
            }
        }
        rows.append([
            "net", "", "", String(report.netTickets), String(report.net.minor), "", "", "", report.net.currency,
        ])
        rows += report.drawers.map {
            [
                "drawer", "\($0.drawerID) \($0.cashier)", "", "", String($0.cashSales.minor - $0.cashRefunds.minor),
                String($0.expected.minor), $0.counted.map { String($0.minor) } ?? "",
                $0.overShort.map { String($0.minor) } ?? "",
                $0.expected.currency,
            ]
        }
        return CSV.render(
            [
                "section", "name", "orders", "tickets", "amount_minor", "expected_minor", "counted_minor",
                "over_short_minor", "currency",
            ],
            rows)
    }

    struct Shift: ParsableCommand {
        static let configuration = CommandConfiguration(
            name: "shift", abstract: "Your shift: sales and refunds by method, comps, your drawer's cash.",
            options: [ReportCommand.csv])

        let context: Context
        let csv: Bool

        init(_ arguments: ParsedArguments) throws {
            context = try Context(arguments)
            csv = arguments.isSet(ReportCommand.csv)
        }

        func run() throws {
            let (node, actor) = try context.signedIn()
            try ReportCommand.emit(try node.reports.shift(by: actor), context: context, csv: csv)
        }
    }

    struct Day: ParsableCommand {
        static let date = TypedOption.text("--date", "YYYY-MM-DD", help: "The local day (default: today).")
        static let configuration = CommandConfiguration(
            name: "day", abstract: "A day at this node, every cashier and drawer (supervisors).",
            options: [date, ReportCommand.csv])

        let context: Context
        let date: String?
        let csv: Bool

        init(_ arguments: ParsedArguments) throws {
            context = try Context(arguments)
            date = try arguments.value(Self.date)
            csv = arguments.isSet(ReportCommand.csv)
        }

        func run() throws {
            let (node, actor) = try context.signedIn()
            try ReportCommand.emit(try node.reports.day(date, by: actor), context: context, csv: csv)
        }
    }
}
