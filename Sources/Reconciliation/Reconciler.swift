import Central
import Dispatch
import EdgeCrypto
import MySQLClient
import SyncWire

/// How a run was allowed to act.
public enum ReconciliationMode: String, Sendable, Codable {
    /// Records discrepancies, resolves the ones gone, settles what it can.
    case settle
    /// `--dry-run`: finds and reports; writes nothing.
    case dryRun = "dry_run"
    /// Central is read-only: finds and reports; writes nothing.
    case reportOnly = "report_only"
}

/// One discrepancy in a report, with what this run did about it.
public struct ReportedDiscrepancy: Sendable, Codable, Equatable {
    public let finding: Finding
    /// Seen for the first time in this run.
    public let isNew: Bool
    /// A refund order was sent to the node, now or in an earlier run.
    public let settlement: String?
}

/// What a run found and did.
public struct ReconciliationReport: Sendable, Codable, Equatable {
    public let mode: ReconciliationMode
    /// The run's id in `reconciliation_run` (nil when nothing was recorded).
    public let runID: Int64?
    public let discrepancies: [ReportedDiscrepancy]
    /// Keys of discrepancies recorded earlier and gone now.
    public let resolved: [String]
    /// Keys settled (a refund order sent) by this run.
    public let settledNow: [String]
    public let seconds: Double

    /// Process exit code: 0 clean, 10 discrepancies open, 11 report only (central read-only).
    public var exitCode: Int32 {
        mode == .reportOnly ? 11 : discrepancies.isEmpty ? 0 : 10
    }
}

/// Progress of a run, for long runs on a terminal.
public struct ReconciliationProgress: Sendable {
    public let check: DiscrepancyClass
    public let index: Int
    public let total: Int
    public let found: Int
    public let seconds: Double
}

/// `central reconcile`: finds every disagreement between nodes and central and settles what can be.
///
/// All checks read central's tables (which hold every fact the nodes pushed); each discrepancy
/// has a stable key, so re-running never duplicates one: it is recorded once in `discrepancy`,
/// seen again by later runs, and marked resolved when a run in its scope no longer finds it.
/// A discrepancy that must be refunded (a seat sold twice, a category or event oversold) is
/// settled once (`settlement` is unique per key): a `refund.ordered` change goes to the node
/// that sold the ticket, which voids it, gives the place back and tells the customer.
public struct Reconciler {
    let connection: MySQLConnection

    public init(connection: MySQLConnection) { self.connection = connection }

    /// How far before the last run's start a run from the watermark looks again: a push that
    /// was in flight then (its rows stamped before, committed after) is seen by the next run.
    public static let watermarkMargin: Int64 = 300

    /// Where a run from the watermark starts (`--since last`): the start of the last finished run
    /// over every event whose window joined up with the runs before it (a full run, or one from
    /// the watermark of its time), less ``watermarkMargin``; nil before the first full run (the
    /// run then reads everything). A run over a shorter window (`--since 1h`) leaves it where it is.
    public func watermark() throws -> Timestamp? {
        let runs = try connection.rows(
            """
            SELECT started_at, scope_since FROM reconciliation_run
            WHERE mode = 'settle' AND finished_at IS NOT NULL AND scope_event IS NULL
              AND started_at >= (SELECT MAX(started_at) FROM reconciliation_run
                                 WHERE mode = 'settle' AND finished_at IS NOT NULL AND scope_event IS NULL
                                   AND scope_since IS NULL)
            ORDER BY started_at
            """)
        var watermark: Timestamp?
        for run in runs {
            let started: Timestamp = try run.get("started_at")
            let since: Timestamp? = try run.get("scope_since")
            if let since, let reached = watermark, since.milliseconds > reached.milliseconds { continue }
            watermark = Timestamp(milliseconds: started.milliseconds - Self.watermarkMargin * 1000)
        }
        return watermark
    }

    public func run(
        scope: ReconciliationScope, dryRun: Bool, now: Timestamp,
        progress: (ReconciliationProgress) -> Void = { _ in }
    ) throws -> ReconciliationReport {
        let started = DispatchTime.now().uptimeNanoseconds
        var mode: ReconciliationMode = dryRun ? .dryRun : .settle
        var runID: Int64?
        if !dryRun {
            do {
                runID = Int64(
                    try connection.insert(
                        """
                        INSERT INTO reconciliation_run (started_at, mode, scope_event, scope_since) VALUES (?, 'settle', ?, ?)
                        """, [now.sqlText, scope.eventID, scope.since?.sqlText]))
            } catch let error as MySQLError where error.kind == .readOnly {
                mode = .reportOnly
            }
        }
        let checks = Checks(connection: connection, scope: scope, now: now, keepsCounts: mode == .settle).all
        // Some long checks run at once on a second connection; when central refuses one (its
        // connection limit), they run here in turn like the others.
        let aside = (try? MySQLConnection(connection.configuration, startingWith: connection.member)).map {
            ChecksAside(connection: $0, scope: scope, now: now)
        }
        var findings = [Finding]()
        for (index, (kind, check)) in checks.enumerated() {
            let found: [Finding]
            let seconds: Double
            if let outcome = aside?.outcome(of: kind) {
                (found, seconds) = (try outcome.findings.get(), outcome.seconds)
            } else {
                (found, seconds) = try timed(check)
            }
            findings += found
            progress(
                ReconciliationProgress(
                    check: kind, index: index + 1, total: checks.count, found: found.count, seconds: seconds))
        }
        let known = try knownDiscrepancies(scope: scope)
        let foundKeys = Set(findings.map(\.key))
        let resolved = known.filter { !foundKeys.contains($0.key) && $0.value.status != .resolved }.keys.sorted()
        var settlements = known.compactMapValues(\.settlement)
        var settledNow = [String]()
        if let runID {
            try connection.transaction {
                for finding in findings { try record(finding, run: runID, now: now, known: known[finding.key]) }
                for key in resolved {
                    try connection.execute(
                        "UPDATE discrepancy SET status = ?, resolved_at = ?, last_run_id = ? WHERE discrepancy_key = ?",
                        [DiscrepancyStatus.resolved, now.sqlText, runID, key])
                }
                for finding in findings where finding.kind.settlesWithRefund && settlements[finding.key] == nil {
                    guard let target = finding.refund else { continue }
                    settlements[finding.key] = try settle(finding, target: target, now: now)
                    settledNow.append(finding.key)
                }
                // The run's length on the monotonic clock, after its start by the clock it started by.
                let elapsed = Int64((DispatchTime.now().uptimeNanoseconds - started) / 1_000_000)
                try connection.execute(
                    """
                    UPDATE reconciliation_run SET finished_at = ?, found = ?, opened = ?, resolved = ?, settled = ? WHERE id = ?
                    """,
                    [
                        Timestamp(milliseconds: now.milliseconds + elapsed).sqlText, findings.count,
                        findings.filter { known[$0.key] == nil || known[$0.key]!.status == .resolved }.count,
                        resolved.count, settledNow.count, runID,
                    ])
            }
        }
        let reported = findings.map { finding in
            ReportedDiscrepancy(
                finding: finding, isNew: known[finding.key] == nil || known[finding.key]!.status == .resolved,
                settlement: settlements[finding.key])
        }
        return ReconciliationReport(
            mode: mode, runID: runID, discrepancies: reported, resolved: resolved, settledNow: settledNow,
            seconds: Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9)
    }

    private struct Known {
        let status: DiscrepancyStatus
        let settlement: String?
    }

    /// Recorded discrepancies in the run's scope, with their settlement if any.
    private func knownDiscrepancies(scope: ReconciliationScope) throws -> [String: Known] {
        var known = [String: Known]()
        for row in try connection.rows(
            """
            SELECT d.discrepancy_key, d.status, s.id AS settlement FROM discrepancy d
            LEFT JOIN settlement s ON s.discrepancy_key = d.discrepancy_key
            WHERE (? IS NULL OR d.event_id = ?) AND (? IS NULL OR d.occurred_at >= ?) AND (d.status <> ? OR s.id IS NOT NULL)
            """, [scope.eventID, scope.eventID, scope.since?.sqlText, scope.since?.sqlText, DiscrepancyStatus.resolved])
        {
            known[try row.get("discrepancy_key")] = Known(
                status: try row.get("status"), settlement: try row.get("settlement"))
        }
        return known
    }

    private func record(_ finding: Finding, run: Int64, now: Timestamp, known: Known?) throws {
        let status: DiscrepancyStatus = known?.settlement != nil ? .settling : .open
        try connection.execute(
            """
            INSERT INTO discrepancy (discrepancy_key, class, severity, event_id, node_id, entity_id, occurred_at, detail, status,
                                     first_run_id, last_run_id, first_seen_at, last_seen_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            ON DUPLICATE KEY UPDATE detail = ?, status = ?, last_run_id = ?, last_seen_at = ?, resolved_at = NULL
            """,
            [
                finding.key, finding.kind.rawValue, finding.severity.rawValue, finding.eventID, finding.nodeID,
                finding.entityID,
                finding.occurredAt?.sqlText, String(finding.detail.prefix(1000)), status, run, run, now.sqlText,
                now.sqlText,
                String(finding.detail.prefix(1000)), status, run, now.sqlText,
            ])
    }

    /// Sends a refund order to the node that sold the ticket; once per discrepancy key.
    private func settle(_ finding: Finding, target: RefundTarget, now: Timestamp) throws -> String {
        let id = "stl_" + Hex.encode(SHA256.hash(Array(finding.key.utf8)).prefix(12))
        let order = RefundOrder(
            orderReference: id, orderID: target.orderID, ticketCodes: target.ticketCodes,
            reason: Self.reason(for: finding))
        let seq = try ChangeFeed(connection: connection).append(
            .refundOrdered, entityID: target.orderID, node: target.nodeID,
            payload: try JSONText.encode(order), now: now)
        try connection.execute(
            """
            INSERT INTO settlement (id, discrepancy_key, kind, node_id, order_id, ticket_codes, change_seq, created_at)
            VALUES (?, ?, 'refund_order', ?, ?, ?, ?, ?)
            """,
            [id, finding.key, target.nodeID, target.orderID, try JSONText.encode(target.ticketCodes), seq, now.sqlText])
        try connection.execute(
            "UPDATE discrepancy SET status = ? WHERE discrepancy_key = ?", [DiscrepancyStatus.settling, finding.key])
        return id
    }

    /// What the customer is told.
    static func reason(for finding: Finding) -> String {
        switch finding.kind {
        case .seatDoubleSold: "your seat was sold twice by mistake; the earlier booking keeps it"
        case .categoryOversold, .eventOversold: "more tickets were sold than there are places"
        default: finding.kind.rawValue
        }
    }
}
