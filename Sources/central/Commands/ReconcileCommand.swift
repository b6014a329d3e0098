#if canImport(Glibc)
import Glibc
#endif
import CLIKit
import Reconciliation
import SyncWire

struct Reconcile: ParsableCommand {
    static let configuration = CommandConfiguration(
        name: "reconcile", abstract: "Find and settle every disagreement between nodes and central.",
        discussion: """
            Exit codes: 0 no discrepancy open, 10 discrepancies open, 11 central read-only (report only, nothing recorded
            or settled), other non-zero for errors. Seats sold twice and categories or events sold beyond capacity are
            settled by refund orders to the nodes that sold the tickets (once each); the rest is reported.
            """,
        options: [
            .value("--event", "E", help: "Only this event."),
            .value("--since", "T", help: "Only sales since T: an ISO 8601 time, or a duration back from now (24h, 7d)."),
            .flag("--dry-run", help: "Find and report; record and settle nothing."),
            .flag("--progress", help: "Report each check on stderr (the default on a terminal)."),
            .value("--refund-delay", "D", help: "A queued refund is overdue after D (default 48h)."),
            .value("--silence", "D", help: "A node is silent after D without contact (default 1h)."),
            .value("--parked-age", "D", help: "A parked record is stale after D (default 24h)."),
            .value("--clock-skew", "D", help: "A node's clock is skewed when off central's by more than D (default 5m)."),
        ])

    static func run(_ arguments: ParsedArguments) throws {
        let context = CentralContext(arguments)
        let now = context.now
        var scope = ReconciliationScope(eventID: arguments.value("--event"))
        if let since = arguments.value("--since") {
            if let time = Timestamp(iso8601: since) {
                scope.since = time
            } else if let seconds = DurationText.seconds(since) {
                scope.since = Timestamp(milliseconds: now.milliseconds - seconds * 1000)
            } else {
                throw UsageError("--since must be an ISO 8601 time or a duration like 24h, not '\(since.prefix(40))'")
            }
        }
        scope.refundDelaySeconds = try duration(arguments, "--refund-delay") ?? scope.refundDelaySeconds
        scope.silenceSeconds = try duration(arguments, "--silence") ?? scope.silenceSeconds
        scope.parkedAgeSeconds = try duration(arguments, "--parked-age") ?? scope.parkedAgeSeconds
        scope.clockSkewSeconds = try duration(arguments, "--clock-skew") ?? scope.clockSkewSeconds
        let showProgress = arguments.flag("--progress") || isatty(STDERR_FILENO) == 1
        let report = try Reconciler(connection: try context.connect()).run(scope: scope, dryRun: arguments.flag("--dry-run"), now: now) { step in
            guard showProgress else { return }
            Output.writeStandardError("[\(step.index)/\(step.total)] \(step.check.rawValue): \(step.found) found "
                                      + "(\(String(format: "%.2f", step.seconds)) s)\n")
        }
        context.output.emit(report, text: ReconcileText.render)
        if report.exitCode != 0 {
            throw Failure(exitCode: report.exitCode, code: report.mode == .reportOnly ? "report_only" : "discrepancies_open",
                          message: report.mode == .reportOnly ? "central is read-only: reported only, nothing recorded or settled"
                              : "\(report.discrepancies.count) discrepanc\(report.discrepancies.count == 1 ? "y" : "ies") open",
                          outcomePrinted: true)
        }
    }

    private static func duration(_ arguments: ParsedArguments, _ name: String) throws -> Int64? {
        guard let text = arguments.value(name) else { return nil }
        guard let seconds = DurationText.seconds(text), seconds > 0 else {
            throw UsageError("\(name) must be a duration like 48h or 30m, not '\(text.prefix(20))'")
        }
        return seconds
    }
}

/// The report as head office reads it: grouped by severity, then event.
enum ReconcileText {
    static func render(_ report: ReconciliationReport) -> String {
        var lines = [String]()
        switch report.mode {
        case .reportOnly: lines.append("Central is read-only: report only; nothing recorded or settled.")
        case .dryRun: lines.append("Dry run: nothing recorded or settled.")
        case .settle: break
        }
        let new = report.discrepancies.filter(\.isNew).count
        lines.append("Reconciliation\(report.runID.map { " run \($0)" } ?? "") (\(report.mode.rawValue)) in "
                     + String(format: "%.2f", report.seconds) + " s: \(report.discrepancies.count) open (\(new) new), "
                     + "\(report.resolved.count) resolved, \(report.settledNow.count) settled now.")
        guard !report.discrepancies.isEmpty else { return (lines + ["No discrepancies."]).joined(separator: "\n") }
        for severity in Severity.allCases {
            let items = report.discrepancies.filter { $0.finding.severity == severity }
            guard !items.isEmpty else { continue }
            lines.append("")
            lines.append(severity.rawValue.uppercased())
            for event in Set(items.map { $0.finding.eventID ?? "" }).sorted() {
                lines.append("  " + (event.isEmpty ? "(no event)" : event))
                for item in items where (item.finding.eventID ?? "") == event {
                    var tags = item.isNew ? " [new]" : ""
                    if let settlement = item.settlement { tags += " [refund ordered: \(settlement)]" }
                    lines.append("    \(item.finding.kind.rawValue)  \(item.finding.detail)\(tags)")
                }
            }
        }
        return lines.joined(separator: "\n")
    }
}
