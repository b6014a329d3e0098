import Central
import Foundation
import MySQLClient
import Reconciliation
import SyncWire

/// `reconcile`: the reconciliation job over 1,000,000 orders from 50 nodes with 0.1 % of them
/// planted as payment mismatches: wall time of a full run, then of a run from the watermark
/// (`central reconcile --since last`) after 10,000 more orders, against the targets (10 s and
/// 1 s), then of a run from a time before half the orders and of one over their event against
/// the full run's, and this process's peak memory.
enum ReconcileScenario {
    static func run(quick: Bool, directory: String) throws -> [Figure] {
        let orders = quick ? 10_000 : 1_000_000
        // A server of its own, and none other running: the scenarios before it leave the shared
        // one purging and flushing what they pushed, which had slowed the run from the watermark
        // up to threefold (a later scenario starts the shared one again).
        BenchCentral.stopShared()
        let central = try BenchCentral(in: directory + "/reconcile")
        defer { withExtendedLifetime(central) {} }  // stopped when the scenario ends, not before
        let (connection, _) = try central.database("reconcile")
        let reference = directory + "/reconcile-reference.json"
        try BenchNode.reference.write(toFile: reference, atomically: true, encoding: .utf8)
        _ = try CentralCatalog(connection: connection).importReference(file: reference, now: SystemWallClock().now())
        try plant(connection, orders: orders, prefix: "", from: "'2025-01-01 00:00:00.000' + INTERVAL seq SECOND")
        let memoryBefore = Machine.peakMemoryMB
        let reconciler = Reconciler(connection: connection)
        var found = 0
        let full = try seconds {
            found = try reconciler.run(scope: ReconciliationScope(), dryRun: false, now: SystemWallClock().now())
                .discrepancies.filter { $0.finding.kind == .paymentMismatch }.count
        }
        guard found == orders / 1000 else {
            throw BenchError("reconcile found \(found) payment mismatches, \(orders / 1000) were planted")
        }
        let more = 10_000
        try connection.executeScript(
            Self.sales(more, prefix: "new_", from: "NOW(3) - INTERVAL 1 SECOND"))
        let incremental = try seconds {
            let since = try reconciler.watermark()
            found = try reconciler.run(
                scope: ReconciliationScope(since: since), dryRun: false, now: SystemWallClock().now()
            )
            .discrepancies.filter { $0.finding.kind == .paymentMismatch }.count
        }
        guard found == more / 1000 else {
            throw BenchError("the run from the watermark found \(found) payment mismatches, \(more / 1000) were new")
        }
        // From a time before half the orders, as `central reconcile --since` a week back would be.
        let firstOrder: Int64 = 1_735_689_600_000  // 2025-01-01T00:00:00Z, where `plant` starts
        let half = Timestamp(milliseconds: firstOrder + Int64(orders / 2) * 1000)
        let fromHalf = try seconds {
            found = try reconciler.run(
                scope: ReconciliationScope(since: half), dryRun: true, now: SystemWallClock().now()
            )
            .discrepancies.filter { $0.finding.kind == .paymentMismatch }.count
        }
        guard found == orders / 2 / 1000 + more / 1000 else {
            throw BenchError("the run from half the orders found \(found) payment mismatches")
        }
        // Over the one event they are all for, as `central reconcile --event` would be.
        let event = try seconds {
            found = try reconciler.run(
                scope: ReconciliationScope(eventID: "BENCH"), dryRun: true, now: SystemWallClock().now()
            ).discrepancies.filter { $0.finding.kind == .paymentMismatch }.count
        }
        guard found == (orders + more) / 1000 else {
            throw BenchError("the run over the event found \(found) payment mismatches")
        }
        return [
            Figure(
                name: "reconcile \(orders) orders, 50 nodes, full run", unit: "s", value: full, baseline: 10,
                baselineName: "target", target: 1, lowerIsBetter: true),
            Figure(
                name: "  from the watermark after \(more) more orders", unit: "s", value: incremental, baseline: 1,
                baselineName: "target", target: 1, lowerIsBetter: true),
            Figure(
                name: "  from a time before half of them (dry run)", unit: "s", value: fromHalf, baseline: full,
                baselineName: "full run", target: nil, lowerIsBetter: true),
            Figure(
                name: "  over their one event (dry run)", unit: "s", value: event, baseline: full,
                baselineName: "full run", target: nil, lowerIsBetter: true),
            Figure(
                name: "  peak memory of this process", unit: "MB", value: Machine.peakMemoryMB, baseline: memoryBefore,
                baselineName: "before the runs", target: nil, lowerIsBetter: true),
        ]
    }

    /// 50 nodes with an allocation each, and `orders` sales (see ``sales(_:prefix:from:)``).
    static func plant(_ connection: MySQLConnection, orders: Int, prefix: String, from time: String) throws {
        try connection.executeScript(
            """
            INSERT INTO node (id, created_at, last_seen_at) SELECT CONCAT('NODE-', seq), NOW(3), NOW(3) FROM seq_0_to_49;
            INSERT INTO allocation (event_id, category_code, node_id, quota, version, updated_at)
              SELECT 'BENCH', 'GA', CONCAT('NODE-', seq), \(orders * 2), 1, NOW(3) FROM seq_0_to_49;

            """ + sales(orders, prefix: prefix, from: time))
    }

    /// `count` one-ticket GA orders, every other one paid by card with a reference of its own and
    /// the rest in cash, spread over 50 nodes, every 1,000th paid short, ids starting with
    /// `prefix`, received at `time` (SQL over `seq`); generated by the server from MariaDB's
    /// sequence tables (`seq_0_to_N`).
    static func sales(_ count: Int, prefix: String, from time: String) -> String {
        let sequence = "seq_0_to_\(count - 1)"
        return """
            INSERT INTO orders (id, node_id, event_id, category_code, customer_id, status, total_minor, currency,
                                idempotency_key, hold_id, created_at, created_by, received_at)
              SELECT CONCAT('\(prefix)ord_', seq), CONCAT('NODE-', seq % 50), 'BENCH', 'GA', NULL, 'confirmed', 2500, 'EUR',
                     CONCAT('\(prefix)key_', seq), NULL, \(time), 'root', \(time) FROM \(sequence);
            INSERT INTO ticket (code, order_id, node_id, event_id, category_code, seat_label, price_minor, status,
                                checked_in_at, created_at)
              SELECT CONCAT('\(prefix)T', seq), CONCAT('\(prefix)ord_', seq), CONCAT('NODE-', seq % 50), 'BENCH', 'GA', NULL,
                     2500, 'valid', NULL, \(time) FROM \(sequence);
            INSERT INTO payment (id, order_id, node_id, method, amount_minor, currency, tendered_minor, change_minor,
                                 reference, status, refunded_minor, created_at)
              SELECT CONCAT('\(prefix)pay_', seq), CONCAT('\(prefix)ord_', seq), CONCAT('NODE-', seq % 50),
                     IF(seq % 2 = 0, 'card', 'cash'), IF(seq % 1000 = 999, 2000, 2500), 'EUR', NULL, NULL,
                     IF(seq % 2 = 0, CONCAT('\(prefix)ref_', seq), NULL), 'captured', 0, \(time) FROM \(sequence);
            """
    }
}
