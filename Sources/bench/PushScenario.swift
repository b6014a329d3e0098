import Central
import Foundation
import MySQLClient
import SyncEngine
import SyncWire
import Ticketing

/// `push`: a node's outbox pushed to a real MariaDB by the sync engine, against the same number of
/// rows written as raw multi-row `INSERT … ON DUPLICATE KEY UPDATE` statements of 1,000 rows.
enum PushScenario {
    static func run(quick: Bool, directory: String) throws -> [Figure] {
        let records = quick ? 500 : 100_000
        let (connection, configuration) = try BenchCentral.shared(in: directory).database("push")
        let reference = directory + "/push-reference.json"
        try BenchNode.reference.write(toFile: reference, atomically: true, encoding: .utf8)
        _ = try CentralCatalog(connection: connection).importReference(file: reference, now: SystemWallClock().now())

        let node = try BenchNode(in: directory, name: "push", durability: .normal)
        let engine = SyncEngine(node: node.node, central: MySQLCentral(configuration: configuration), batchSize: 500)
        let first = engine.cycle()
        guard first.mode == .writable else { throw BenchError("central not writable: \(first.error ?? "?")") }
        for _ in 0..<records { try node.sell(category: "GA") }
        var pushed = 0
        let elapsed = try seconds {
            while try node.node.sync.status().outboxPending > 0 {
                let report = engine.cycle()
                guard report.error == nil else { throw BenchError("push failed: \(report.error!)") }
                pushed += report.pushed
            }
        }
        let tables = ["orders", "ticket", "payment", "sync_inbox"]
        let rows = try tables.reduce(0) {
            $0 + (try connection.scalar("SELECT COUNT(*) FROM \($1)", as: Int.self) ?? 0)
        }
        guard pushed == records, try connection.scalar("SELECT COUNT(*) FROM orders", as: Int.self) == records else {
            throw BenchError("pushed \(pushed) of \(records) records")
        }
        try node.checkInvariants()

        let raw = try rawMultiRow(connection, records: records)
        return [
            Figure(
                name: "push to MariaDB (\(records) sales, \(rows / records) rows each)", unit: "rows/s",
                value: Double(rows) / elapsed, baseline: raw, baselineName: "raw multi-row INSERT", target: 0.5),
            Figure(
                name: "push to MariaDB, records", unit: "records/s", value: Double(records) / elapsed,
                baseline: raw / Double(rows / records), baselineName: "raw, same rows per record", target: 0.5),
        ]
    }

    /// Rows per second written as multi-row statements of 1,000 rows into tables of the same
    /// shape as central's orders, tickets, payments and inbox, one transaction per 1,000 records.
    static func rawMultiRow(_ connection: MySQLConnection, records: Int) throws -> Double {
        try connection.executeScript(
            """
            CREATE TABLE raw_orders LIKE orders;
            CREATE TABLE raw_ticket LIKE ticket;
            CREATE TABLE raw_payment LIKE payment;
            CREATE TABLE raw_inbox LIKE sync_inbox
            """)
        let now = "'2030-01-01 00:00:00.000'"
        let payload = String(repeating: "x", count: 700)  // about an order.placed record's JSON
        var rows = 0
        let elapsed = try seconds {
            var start = 0
            while start < records {
                let end = min(records, start + 1000)
                let ids = start..<end
                try connection.transaction {
                    try connection.executeScript(
                        "INSERT INTO raw_orders (id, node_id, event_id, category_code, customer_id, status, total_minor, currency, idempotency_key, hold_id, created_at, created_by, received_at) VALUES "
                            + ids.map {
                                "('ord_\($0)', 'BENCH-1', 'BENCH', 'GA', NULL, 'confirmed', 2500, 'EUR', 'key_\($0)', NULL, \(now), 'root', \(now))"
                            }.joined(separator: ",")
                            + " ON DUPLICATE KEY UPDATE id = id")
                    try connection.executeScript(
                        "INSERT INTO raw_ticket (code, order_id, node_id, event_id, category_code, seat_label, price_minor, status, checked_in_at, created_at) VALUES "
                            + ids.map {
                                "('T\($0)', 'ord_\($0)', 'BENCH-1', 'BENCH', 'GA', NULL, 2500, 'valid', NULL, \(now))"
                            }.joined(separator: ",")
                            + " ON DUPLICATE KEY UPDATE code = code")
                    try connection.executeScript(
                        "INSERT INTO raw_payment (id, order_id, node_id, method, amount_minor, currency, tendered_minor, change_minor, reference, status, refunded_minor, created_at) VALUES "
                            + ids.map {
                                "('pay_\($0)', 'ord_\($0)', 'BENCH-1', 'cash', 2500, 'EUR', NULL, NULL, NULL, 'captured', 0, \(now))"
                            }.joined(separator: ",")
                            + " ON DUPLICATE KEY UPDATE id = id")
                    try connection.executeScript(
                        "INSERT INTO raw_inbox (node_id, seq, record_type, entity_id, payload, status, error, received_at, created_at, epoch) VALUES "
                            + ids.map {
                                "('BENCH-1', \($0 + 1), 'order.placed', 'ord_\($0)', '\(payload)', 'applied', NULL, \(now), \(now), 1)"
                            }.joined(separator: ",")
                            + " ON DUPLICATE KEY UPDATE seq = seq")
                }
                rows += 4 * ids.count
                start = end
            }
        }
        return Double(rows) / elapsed
    }
}
