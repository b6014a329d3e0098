import Central
import Foundation
import MySQLClient
import Reconciliation
import SyncWire

/// `reconcile`: the reconciliation job over 1,000,000 orders from 50 nodes with 0.1 % of them
/// planted as payment mismatches: wall time of a full run and of a second one, against the
/// targets (10 s, and 1 s for the second), and this process's peak memory.
enum ReconcileScenario {
    static func run(quick: Bool, directory: String) throws -> [Figure] {
        let orders = quick ? 10_000 : 1_000_000
        let (connection, _) = try BenchCentral.shared(in: directory).database("reconcile")
        let reference = directory + "/reconcile-reference.json"
        try BenchNode.reference.write(toFile: reference, atomically: true, encoding: .utf8)
        _ = try CentralCatalog(connection: connection).importReference(file: reference, now: SystemWallClock().now())
        try plant(connection, orders: orders)
        let planted = orders / 1000
        let memoryBefore = Machine.peakMemoryMB
        var found = 0
        let full = try seconds {
            found = try Reconciler(connection: connection).run(
                scope: ReconciliationScope(), dryRun: false, now: SystemWallClock().now()
            )
            .discrepancies.filter { $0.finding.kind == .paymentMismatch }.count
        }
        guard found == planted else {
            throw BenchError("reconcile found \(found) payment mismatches, \(planted) were planted")
        }
        let again = try seconds {
            _ = try Reconciler(connection: connection).run(
                scope: ReconciliationScope(), dryRun: false, now: SystemWallClock().now())
        }
        return [
            Figure(
                name: "reconcile \(orders) orders, 50 nodes, full run", unit: "s", value: full, baseline: 10,
                baselineName: "target", target: 1, lowerIsBetter: true),
            Figure(
                name: "  a second run (no incremental mode yet)", unit: "s", value: again, baseline: 1,
                baselineName: "target", target: 1, lowerIsBetter: true),
            Figure(
                name: "  peak memory of this process", unit: "MB", value: Machine.peakMemoryMB, baseline: memoryBefore,
                baselineName: "before the runs", target: nil, lowerIsBetter: true),
        ]
    }

    /// `orders` one-ticket GA orders paid in cash, spread over 50 nodes, every 1,000th paid short.
    static func plant(_ connection: MySQLConnection, orders: Int) throws {
        for node in 0..<50 {
            try connection.execute(
                "INSERT INTO node (id, created_at, last_seen_at) VALUES (?, NOW(3), NOW(3))", ["NODE-\(node)"])
            try connection.execute(
                "INSERT INTO allocation (event_id, category_code, node_id, quota, version, updated_at) VALUES ('BENCH', 'GA', ?, ?, 1, NOW(3))",
                ["NODE-\(node)", orders])
        }
        var start = 0
        while start < orders {
            let ids = start..<min(orders, start + 1000)
            let at = { (id: Int) in "'2030-01-01 00:00:00.000' + INTERVAL \(id) SECOND" }
            try connection.transaction {
                try connection.executeScript(
                    "INSERT INTO orders (id, node_id, event_id, category_code, customer_id, status, total_minor, currency, idempotency_key, hold_id, created_at, created_by, received_at) VALUES "
                        + ids.map {
                            "('ord_\($0)', 'NODE-\($0 % 50)', 'BENCH', 'GA', NULL, 'confirmed', 2500, 'EUR', 'key_\($0)', NULL, \(at($0)), 'root', \(at($0)))"
                        }
                        .joined(separator: ","))
                try connection.executeScript(
                    "INSERT INTO ticket (code, order_id, node_id, event_id, category_code, seat_label, price_minor, status, checked_in_at, created_at) VALUES "
                        + ids.map {
                            "('T\($0)', 'ord_\($0)', 'NODE-\($0 % 50)', 'BENCH', 'GA', NULL, 2500, 'valid', NULL, \(at($0)))"
                        }
                        .joined(separator: ","))
                try connection.executeScript(
                    "INSERT INTO payment (id, order_id, node_id, method, amount_minor, currency, tendered_minor, change_minor, reference, status, refunded_minor, created_at) VALUES "
                        + ids.map {
                            "('pay_\($0)', 'ord_\($0)', 'NODE-\($0 % 50)', 'cash', \($0 % 1000 == 999 ? 2000 : 2500), 'EUR', NULL, NULL, NULL, 'captured', 0, \(at($0)))"
                        }
                        .joined(separator: ","))
            }
            start = ids.upperBound
        }
    }
}
