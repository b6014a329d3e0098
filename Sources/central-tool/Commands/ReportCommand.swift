import CLIKit
import Central
import SyncWire

struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        name: "report", abstract: "Head office's reports.", subcommands: [Sales.self])

    init(_ arguments: ParsedArguments) {}

    struct Sales: ParsableCommand {
        static let event = TypedOption.text("--event", "E", help: "Only this event.")
        static let by = TypedOption<SalesReport.Grouping>.choice(
            "--by", "GROUP", help: "event (default), node, category or day (the venue's local day of the sale).")
        static let csv = FlagOption("--csv", help: "Print CSV for spreadsheets (RFC 4180).")
        static let configuration = CommandConfiguration(
            name: "sales",
            abstract: "Tickets, revenue, refunds and money collected per event, and what nodes have not synced yet.",
            discussion: """
                The figures are reconciliation's: tickets and revenue count valid and checked-in tickets, collected is
                payments net of refunds, refunded is refunds paid out.
                """,
            options: [event, by, csv])

        let context: CentralContext
        let eventID: String?
        let grouping: SalesReport.Grouping
        let csv: Bool

        init(_ arguments: ParsedArguments) throws {
            context = try CentralContext(arguments)
            eventID = try arguments.value(Self.event)
            grouping = try arguments.value(Self.by) ?? .event
            csv = arguments.isSet(Self.csv)
            if csv, context.output.json { throw UsageError("give --csv or --json, not both") }
        }

        func run() throws {
            let report = try SalesReport.build(connection: try context.connect(), eventID: eventID, by: grouping)
            if csv {
                // Grouped by event alone, the event is the only key: a second column named `event`
                // would shadow the first in every reader that keys rows by column name.
                let grouped = grouping != .event
                Output.writeStandardOutput(
                    CSV.render(
                        ["event"] + (grouped ? [grouping.rawValue] : [])
                            + ["orders", "tickets", "revenue_minor", "refunded_minor", "collected_minor", "currency"],
                        report.lines.map {
                            [$0.eventID] + (grouped ? [$0.group] : [])
                                + [
                                    String($0.orders), String($0.tickets), String($0.revenueMinor),
                                    String($0.refundedMinor), String($0.collectedMinor), $0.currency,
                                ]
                        }))
                return
            }
            context.output.emit(report) { report in
                var text =
                    report.lines.isEmpty
                    ? "No sales."
                    : TextTable.render(
                        ["EVENT"] + (report.grouping == .event ? [] : [report.grouping.rawValue.uppercased()])
                            + ["ORDERS", "TICKETS", "REVENUE", "REFUNDED", "COLLECTED"],
                        report.lines.map { line in
                            let money = { (minor: Int64) in Money(minor: minor, currency: line.currency).description }
                            return [line.eventID] + (report.grouping == .event ? [] : [line.group])
                                + [
                                    String(line.orders), String(line.tickets), money(line.revenueMinor),
                                    money(line.refundedMinor), money(line.collectedMinor),
                                ]
                        })
                text +=
                    report.notYetSynced.isEmpty
                    ? "\nEvery node had pushed everything at its last push."
                    : "\nNot yet synced: "
                        + report.notYetSynced.map { node in
                            "\(node.nodeID) \(node.records) record(s) at its last push"
                                + (node.lastPushAt.map { " (\($0.local(in: node.timezone)))" } ?? "")
                        }.joined(separator: "; ")
                return text
            }
        }
    }
}
