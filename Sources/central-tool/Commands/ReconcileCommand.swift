import CLIKit
import Reconciliation
import SyncWire

#if canImport(Glibc)
    import Glibc
#endif

struct Reconcile: ParsableCommand {
    /// `--since`: a moment, a span back from when the command runs, or the watermark of the last
    /// run over every event.
    enum Since: Sendable {
        case time(Timestamp)
        case secondsBack(Int64)
        case lastRun

        init?(_ text: String) {
            if text == "last" {
                self = .lastRun
            } else if let time = Timestamp(iso8601: text) {
                self = .time(time)
            } else if let seconds = DurationText.seconds(text) {
                self = .secondsBack(seconds)
            } else {
                return nil
            }
        }

        /// The moment; for `last`, the watermark `reconciler` reads (nil before any full run).
        func timestamp(now: Timestamp, reconciler: Reconciler) throws -> Timestamp? {
            switch self {
            case .time(let time): time
            case .secondsBack(let seconds): Timestamp(milliseconds: now.milliseconds - seconds * 1000)
            case .lastRun: try reconciler.watermark()
            }
        }
    }

    static let event = TypedOption.text("--event", "E", help: "Only this event.")
    static let since = TypedOption<Since>(
        "--since", "T",
        help:
            "Only sales since T: an ISO 8601 time, a duration back from now (24h, 7d), or 'last' (what central received since the last full run, less 5 minutes).",
        expected: "an ISO 8601 time, a duration like 24h, or last", convert: Since.init)
    static let dryRun = FlagOption("--dry-run", help: "Find and report; record and settle nothing.")
    static let progress = FlagOption("--progress", help: "Report each check on stderr (the default on a terminal).")
    static let refundDelay = TypedOption.seconds(
        "--refund-delay", in: 1...31_536_000, help: "A queued refund is overdue after D (default 48h).")
    static let silence = TypedOption.seconds(
        "--silence", in: 1...31_536_000, help: "A node is silent after D without contact (default 1h).")
    static let parkedAge = TypedOption.seconds(
        "--parked-age", in: 1...31_536_000, help: "A parked record is stale after D (default 24h).")
    static let clockSkew = TypedOption.seconds(
        "--clock-skew", in: 1...31_536_000,
        help: "A node's clock is skewed when off central's by more than D (default 5m).")

    static let configuration = CommandConfiguration(
        name: "reconcile", abstract: "Find and settle every disagreement between nodes and central.",
        discussion: """
            Exit codes: 0 no discrepancy open, 10 discrepancies open, 11 central read-only (report only, nothing recorded
            or settled), other non-zero for errors. Seats sold twice and categories or events sold beyond capacity are
            settled by refund orders to the nodes that sold the tickets (once each); the rest is reported.
            """,
        options: [event, since, dryRun, progress, refundDelay, silence, parkedAge, clockSkew])

    let context: CentralContext
    let scope: ReconciliationScope
    let since: Since?
    let dryRun: Bool
    let showProgress: Bool

    init(_ arguments: ParsedArguments) throws {
        context = try CentralContext(arguments)
        var scope = ReconciliationScope(eventID: try arguments.value(Self.event))
        let settings = context.settings
        scope.refundDelaySeconds =
            try arguments.value(Self.refundDelay, orSetting: CentralSetting.refundDelay, in: settings)
            ?? scope.refundDelaySeconds
        scope.silenceSeconds =
            try arguments.value(Self.silence, orSetting: CentralSetting.silence, in: settings) ?? scope.silenceSeconds
        scope.parkedAgeSeconds =
            try arguments.value(Self.parkedAge, orSetting: CentralSetting.parkedAge, in: settings)
            ?? scope.parkedAgeSeconds
        scope.clockSkewSeconds =
            try arguments.value(Self.clockSkew, orSetting: CentralSetting.clockSkew, in: settings)
            ?? scope.clockSkewSeconds
        self.scope = scope
        since = try arguments.value(Self.since)
        dryRun = arguments.isSet(Self.dryRun)
        showProgress = arguments.isSet(Self.progress) || isatty(STDERR_FILENO) == 1
    }

    func run() throws {
        let now = context.now
        var scope = scope
        let reconciler = Reconciler(connection: try context.connect(batchReadTimeout: 3600))
        scope.since = try since?.timestamp(now: now, reconciler: reconciler)
        let report = try reconciler.run(scope: scope, dryRun: dryRun, now: now) {
            step in
            guard showProgress else { return }
            Output.writeStandardError(
                "[\(step.index)/\(step.total)] \(step.check.rawValue): \(step.found) found "
                    + "(\(String(format: "%.2f", step.seconds)) s)\n")
        }
        context.output.emit(report, text: ReconcileText.render)
        if report.exitCode != 0 {
            throw Failure(
                exitCode: report.exitCode, code: report.mode == .reportOnly ? "report_only" : "discrepancies_open",
                message: report.mode == .reportOnly
                    ? "central is read-only: reported only, nothing recorded or settled"
                    : "\(report.discrepancies.count) discrepanc\(report.discrepancies.count == 1 ? "y" : "ies") open",
                outcomePrinted: true)
        }
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
        lines.append(
            "Reconciliation\(report.runID.map { " run \($0)" } ?? "") (\(report.mode.rawValue)) in "
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
