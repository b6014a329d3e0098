import Central
import Foundation
import MySQLClient
import SyncWire
import TestSupport
import Testing

@testable import Reconciliation
@testable import Ticketing

/// Writes sales straight into central's tables, as pushes would have: clean ones in bulk, and
/// planted discrepancies whose keys the reconciliation must find.
struct SalesGenerator {
    let central: MySQLConnection
    let base = Timestamp(iso8601: "2030-01-01T00:00:00Z")!
    private(set) var expected = Set<String>()

    init(central: MySQLConnection) { self.central = central }

    func at(_ minute: Int) -> String { Timestamp(milliseconds: base.milliseconds + Int64(minute) * 60_000).sqlText }

    func node(_ id: String, lastSeen: String) throws {
        try central.execute(
            """
            INSERT INTO node (id, created_at, last_seen_at) VALUES (?, ?, ?) ON DUPLICATE KEY UPDATE last_seen_at = ?
            """, [id, lastSeen, lastSeen, lastSeen])
    }

    func event(
        _ id: String, capacity: Int?, status: String = "on_sale", categories: [(String, Int)],
        allocations: [(String, String, Int)]
    ) throws {
        try central.execute(
            "INSERT INTO event (id, venue_id, name, starts_at, status, capacity, updated_at) VALUES (?, 'HALL', ?, ?, ?, ?, ?)",
            [id, id, at(0), status, capacity, at(0)])
        for (code, cap) in categories {
            try central.execute(
                "INSERT INTO price_category (event_id, code, name, kind, price_minor, currency, capacity) VALUES (?, ?, ?, 'ga', 1000, 'EUR', ?)",
                [id, code, code, cap])
        }
        for (category, node, quota) in allocations {
            try central.execute(
                """
                INSERT INTO allocation (event_id, category_code, node_id, quota, version, proposal_status, updated_at) VALUES (?, ?, ?, ?, 1, 'accepted', ?)
                """, [id, category, node, quota, at(0)])
        }
    }

    /// Clean sales: one ticket, one matching payment each; unique keys and references.
    func cleanSales(_ count: Int, event: String, category: String, nodes: [String]) throws {
        var start = 0
        while start < count {
            let batch = min(500, count - start)
            var orders = [any SQLValueConvertible]()
            var tickets = [any SQLValueConvertible]()
            var payments = [any SQLValueConvertible]()
            for index in start..<start + batch {
                let id = "o-\(event)-\(index)"
                let node = nodes[index % nodes.count]
                let time = at(10 + index % 50_000)
                orders += [id, node, event, category, "confirmed", 1000, "EUR", "k-\(id)", time, "gen", time]
                tickets += ["t-\(event)-\(index)", id, node, event, category, 1000, "valid", time]
                payments += [
                    "p-\(id)", id, node, index % 2 == 0 ? "card" : "cash", 1000, "EUR",
                    index % 2 == 0 ? "ref-\(id)" : nil, "captured", time,
                ]
            }
            try insert(
                "orders (id, node_id, event_id, category_code, status, total_minor, currency, idempotency_key, created_at, created_by, received_at)",
                columns: 11, rows: batch, values: orders)
            try insert(
                "ticket (code, order_id, node_id, event_id, category_code, price_minor, status, created_at)",
                columns: 8, rows: batch, values: tickets)
            try insert(
                "payment (id, order_id, node_id, method, amount_minor, currency, reference, status, created_at)",
                columns: 9, rows: batch, values: payments)
            start += batch
        }
    }

    private func insert(_ target: String, columns: Int, rows: Int, values: [any SQLValueConvertible]) throws {
        let row = "(" + Array(repeating: "?", count: columns).joined(separator: ", ") + ")"
        try central.execute(
            "INSERT INTO \(target) VALUES \(Array(repeating: row, count: rows).joined(separator: ", "))", values)
    }

    /// One order with its tickets (seat labels or GA) and, unless `paid` is nil, a payment of `paid`.
    @discardableResult
    func sale(
        _ id: String, node: String, event: String, category: String, seats: [String?] = [nil], minute: Int,
        paid: Int64? = nil,
        status: String = "confirmed", key: String? = nil, reference: String? = nil, refunded: Int64 = 0
    ) throws -> [String] {
        let total = Int64(seats.count) * 1000
        try central.execute(
            """
            INSERT INTO orders (id, node_id, event_id, category_code, status, total_minor, currency, idempotency_key, created_at, created_by, received_at)
            VALUES (?, ?, ?, ?, ?, ?, 'EUR', ?, ?, 'gen', ?)
            """, [id, node, event, category, status, total, key ?? "k-\(id)", at(minute), at(minute)])
        var codes = [String]()
        for (index, seat) in seats.enumerated() {
            let code = "t-\(id)-\(index)"
            codes.append(code)
            try central.execute(
                """
                INSERT INTO ticket (code, order_id, node_id, event_id, category_code, seat_label, price_minor, status, created_at)
                VALUES (?, ?, ?, ?, ?, ?, 1000, ?, ?)
                """,
                [
                    code, id, node, event, category, seat,
                    status == "confirmed" ? "valid" : status == "cancelled" ? "void" : "refunded", at(minute),
                ])
        }
        if let paid {
            try central.execute(
                """
                INSERT INTO payment (id, order_id, node_id, method, amount_minor, currency, reference, status, refunded_minor, created_at)
                VALUES (?, ?, ?, 'card', ?, 'EUR', ?, 'captured', ?, ?)
                """, ["p-\(id)", id, node, paid, reference, refunded, at(minute)])
        }
        return codes
    }

    mutating func expect(_ key: String) { expected.insert(key) }
}

@Suite(.serialized) struct ReconciliationTests {
    /// Every class planted among 120,000 clean rows: found exactly, settled once, never duplicated.
    @Test func findsExactlyThePlantedDiscrepanciesAmongAHundredThousandCleanRows() throws {
        let world = try SyncWorld(importFixture: false)
        var g = SalesGenerator(central: world.central)
        let now = world.clock.now()
        try world.central.execute(
            "INSERT INTO venue (id, name, timezone, definition, updated_at) VALUES ('HALL', 'Hall', 'UTC', '{}', ?)",
            [now.sqlText])
        for node in ["NODE-A", "NODE-B"] { try g.node(node, lastSeen: now.sqlText) }
        try g.event(
            "MEGA", capacity: nil, categories: [("GA", 1_000_000)],
            allocations: [("GA", "NODE-A", 600_000), ("GA", "NODE-B", 400_000)])
        try g.cleanSales(40_000, event: "MEGA", category: "GA", nodes: ["NODE-A", "NODE-B"])

        // A seat sold twice (the later sale loses) and a tie broken by node id.
        try g.event(
            "SEATS", capacity: nil, categories: [("MAIN", 50)],
            allocations: [("MAIN", "NODE-A", 25), ("MAIN", "NODE-B", 25)])
        try g.sale("s1", node: "NODE-A", event: "SEATS", category: "MAIN", seats: ["MAIN-A-1"], minute: 1, paid: 1000)
        let late = try g.sale(
            "s2", node: "NODE-B", event: "SEATS", category: "MAIN", seats: ["MAIN-A-1"], minute: 2, paid: 1000)
        g.expect("seat_double_sold/SEATS/MAIN-A-1/\(late[0])")
        try g.sale("s3", node: "NODE-B", event: "SEATS", category: "MAIN", seats: ["MAIN-A-2"], minute: 5, paid: 1000)
        try g.sale("s4", node: "NODE-A", event: "SEATS", category: "MAIN", seats: ["MAIN-A-2"], minute: 5, paid: 1000)
        g.expect("seat_double_sold/SEATS/MAIN-A-2/t-s3-0")
        try g.sale(
            "s5", node: "NODE-A", event: "SEATS", category: "MAIN", seats: ["MAIN-B-1", "MAIN-B-2"], minute: 6,
            paid: 2000)

        // A category sold 103 for 100 (the 3 latest flagged), by a node 3 beyond its allocation.
        try g.event(
            "SMALL", capacity: 100, categories: [("GA", 100)],
            allocations: [("GA", "NODE-A", 60), ("GA", "NODE-B", 40)])
        for index in 0..<103 {
            let codes = try g.sale(
                "m\(index)", node: index < 60 ? "NODE-A" : "NODE-B", event: "SMALL", category: "GA",
                minute: 100 + index, paid: 1000)
            if index >= 100 { g.expect("category_oversold/SMALL/GA/\(codes[0])") }
        }
        g.expect("node_over_allocation/SMALL/GA/NODE-B")

        // An event sold 12 for 10 across two categories that each fit.
        try g.event(
            "DUET", capacity: 10, categories: [("L", 8), ("R", 8)],
            allocations: [("L", "NODE-A", 8), ("R", "NODE-B", 8)])
        for index in 0..<8 {
            try g.sale("l\(index)", node: "NODE-A", event: "DUET", category: "L", minute: 300 + index, paid: 1000)
        }
        for index in 0..<4 {
            let codes = try g.sale(
                "r\(index)", node: "NODE-B", event: "DUET", category: "R", minute: 400 + index, paid: 1000)
            if index >= 2 { g.expect("event_oversold/DUET/\(codes[0])") }
        }

        // Money: unpaid, underpaid, overpaid; payments for no order, a refunded order, a cancelled event.
        try g.sale("unpaid", node: "NODE-A", event: "MEGA", category: "GA", minute: 500)
        try g.sale("under", node: "NODE-A", event: "MEGA", category: "GA", minute: 501, paid: 900)
        try g.sale("over", node: "NODE-B", event: "MEGA", category: "GA", minute: 502, paid: 1100)
        for order in ["unpaid", "under", "over"] { g.expect("payment_mismatch/\(order)") }
        try world.central.execute(
            """
            INSERT INTO payment (id, order_id, node_id, method, amount_minor, currency, status, created_at)
            VALUES ('p-ghost', 'no-such-order', 'NODE-A', 'card', 500, 'EUR', 'captured', ?)
            """, [g.at(503)])
        g.expect("payment_unexpected/p-ghost")
        try g.sale("kept", node: "NODE-A", event: "MEGA", category: "GA", minute: 504, paid: 1000, status: "refunded")
        g.expect("payment_unexpected/p-kept")
        try g.sale(
            "kept-cancelled", node: "NODE-B", event: "MEGA", category: "GA", minute: 504, paid: 1000,
            status: "cancelled")
        g.expect("payment_unexpected/p-kept-cancelled")
        try g.event(
            "GONE", capacity: nil, status: "cancelled", categories: [("GA", 10)], allocations: [("GA", "NODE-A", 10)])
        try g.sale("gone", node: "NODE-A", event: "GONE", category: "GA", minute: 505, paid: 1000)
        g.expect("payment_unexpected/p-gone")

        // The same card reference twice; the same idempotency key twice.
        try g.sale("ref1", node: "NODE-A", event: "MEGA", category: "GA", minute: 506, paid: 1000, reference: "TERM-77")
        try g.sale("ref2", node: "NODE-B", event: "MEGA", category: "GA", minute: 507, paid: 1000, reference: "TERM-77")
        g.expect("duplicate_payment_reference/TERM-77")
        try g.sale("key1", node: "NODE-A", event: "MEGA", category: "GA", minute: 508, paid: 1000, key: "till-9-0001")
        try g.sale("key2", node: "NODE-A", event: "MEGA", category: "GA", minute: 509, paid: 1000, key: "till-9-0001")
        g.expect("duplicate_idempotency_key/till-9-0001")

        // A refund queued three days ago and never paid out; a node silent for two days.
        try g.sale(
            "late-refund", node: "NODE-B", event: "MEGA", category: "GA", minute: 510, paid: 1000, status: "cancelled")
        try world.central.execute(
            """
            INSERT INTO refund (id, order_id, payment_id, node_id, amount_minor, currency, reason, origin, status, created_at)
            VALUES ('r-late', 'late-refund', 'p-late-refund', 'NODE-B', 1000, 'EUR', 'storm', 'event_cancelled', 'pending', ?)
            """, [Timestamp(milliseconds: now.milliseconds - 3 * 86_400_000).sqlText])
        g.expect("refund_overdue/r-late")
        try g.node("NODE-Z", lastSeen: Timestamp(milliseconds: now.milliseconds - 2 * 86_400_000).sqlText)
        g.expect("node_silent/NODE-Z")

        // A node that acknowledged 10 records while central counts 8 and misses 4 and 5; a record
        // parked two days ago; a node whose clock is a day ahead.
        try world.central.execute(
            """
            INSERT INTO node (id, created_at, last_seen_at, acknowledged_seq, records_applied) VALUES ('NODE-S', ?, ?, 10, 8)
            """, [now.sqlText, now.sqlText])
        for seq in [1, 2, 3, 6, 7, 8, 9, 10] {
            try world.central.execute(
                """
                INSERT INTO sync_inbox (node_id, seq, record_type, entity_id, status, created_at, received_at)
                VALUES ('NODE-S', ?, 'ticket.checked_in', 'T', 'applied', ?, ?)
                """, [seq, now.sqlText, now.sqlText])
        }
        g.expect("node_sequence_mismatch/NODE-S")
        g.expect("node_sequence_gap/NODE-S")
        let twoDaysAgo = Timestamp(milliseconds: now.milliseconds - 2 * 86_400_000).sqlText
        try world.central.execute(
            """
            INSERT INTO node (id, created_at, last_seen_at, acknowledged_seq, records_parked, clock_offset_ms) VALUES ('NODE-P', ?, ?, 1, 1, 86400000)
            """, [now.sqlText, now.sqlText])
        try world.central.execute(
            """
            INSERT INTO sync_inbox (node_id, seq, record_type, entity_id, status, error, created_at, received_at)
            VALUES ('NODE-P', 1, 'gift_card.sold', 'G1', 'parked', 'unknown record type', ?, ?)
            """, [twoDaysAgo, twoDaysAgo])
        g.expect("parked_record_stale/NODE-P/1")
        g.expect("node_clock_skew/NODE-P")

        // A ticket let in at two nodes while they could not see each other, among 5,000 let in once.
        try world.central.execute(
            """
            INSERT INTO ticket_admission (ticket_code, node_id, admitted_at, gate, event_id, source, received_at)
            SELECT code, node_id, created_at, 'A', event_id, 'door', created_at FROM ticket
            WHERE event_id = 'MEGA' ORDER BY code LIMIT 5000
            """)
        let twice = try g.sale("twice", node: "NODE-A", event: "MEGA", category: "GA", minute: 511, paid: 1000)
        for (node, gate, source, minute) in [("NODE-A", "A", "door", 600), ("NODE-B", "", "scanner", 601)] {
            try world.central.execute(
                """
                INSERT INTO ticket_admission (ticket_code, node_id, admitted_at, gate, event_id, source, received_at)
                VALUES (?, ?, ?, ?, 'MEGA', ?, ?)
                """, [twice[0], node, g.at(minute), gate, source, g.at(minute)])
        }
        g.expect("ticket_admitted_twice/\(twice[0])")
        // A ticket no node sold, let in (signed with a stolen key).
        try world.central.execute(
            """
            INSERT INTO ticket_admission (ticket_code, node_id, admitted_at, gate, event_id, source, received_at)
            VALUES ('FAKE-0000-0000-0001', 'NODE-B', ?, 'A', 'MEGA', 'door', ?)
            """, [g.at(602), g.at(602)])
        g.expect("admitted_unknown_ticket/FAKE-0000-0000-0001")
        // A ticket let in at one node and refunded at its seller's counter, which had not heard.
        let inside = try g.sale("inside", node: "NODE-A", event: "MEGA", category: "GA", minute: 512, paid: 1000)
        try world.central.execute(
            """
            INSERT INTO ticket_admission (ticket_code, node_id, admitted_at, gate, event_id, source, received_at)
            VALUES (?, 'NODE-B', ?, 'A', 'MEGA', 'door', ?)
            """, [inside[0], g.at(603), g.at(603)])
        try world.central.execute(
            """
            INSERT INTO refund (id, order_id, payment_id, node_id, amount_minor, currency, reason, origin, status, created_at)
            VALUES ('r-inside', 'inside', 'p-inside', 'NODE-A', 1000, 'EUR', 'cannot come', 'counter', 'completed', ?)
            """, [g.at(604)])
        try world.central.execute(
            "INSERT INTO refund_ticket (refund_id, ticket_code) VALUES ('r-inside', ?)", [inside[0]])
        try world.central.execute("UPDATE payment SET refunded_minor = 1000, status = 'refunded' WHERE id = 'p-inside'")
        try world.central.execute("UPDATE orders SET status = 'refunded' WHERE id = 'inside'")
        try world.central.execute("UPDATE ticket SET status = 'refunded' WHERE code = ?", [inside[0]])
        g.expect("admitted_and_refunded/\(inside[0])")

        let rows: Int =
            try world.central.scalar(
                "SELECT (SELECT COUNT(*) FROM orders) + (SELECT COUNT(*) FROM ticket) + (SELECT COUNT(*) FROM payment)")
            ?? 0
        #expect(rows >= 120_000)
        // --since reads the orders central received lately through their index, not all of them.
        try world.central.execute("ANALYZE TABLE orders")
        let recent = Checks(
            connection: world.central, scope: ReconciliationScope(since: Timestamp(sqlText: g.at(40_000))),
            now: now
        ).paymentMismatchQuery()
        let plan = try world.central.rows("EXPLAIN " + recent.sql, recent.arguments)
        #expect(
            try plan.contains {
                try $0.get("table", as: String?.self) == "o" && $0.get("key", as: String?.self) == "orders_by_received"
            },
            "\(plan.map { $0.values })")
        let reconciler = Reconciler(connection: world.central)
        let first = try reconciler.run(scope: ReconciliationScope(), dryRun: false, now: now)
        let found = Set(first.discrepancies.map(\.finding.key))
        #expect(
            found == g.expected,
            "missed: \(g.expected.subtracting(found).sorted()); false: \(found.subtracting(g.expected).sorted())")
        #expect(Set(DiscrepancyClass.allCases) == Set(first.discrepancies.map(\.finding.kind)))
        #expect(first.exitCode == 10 && first.discrepancies.allSatisfy(\.isNew))
        let critical = first.discrepancies.filter { $0.finding.kind.settlesWithRefund }
        #expect(first.settledNow.count == critical.count && critical.allSatisfy { $0.settlement != nil })
        #expect(
            try world.central.scalar("SELECT COUNT(*) FROM change_log WHERE change_type = 'refund.ordered'")
                == critical.count)

        let second = try reconciler.run(scope: ReconciliationScope(), dryRun: false, now: now)
        #expect(
            Set(second.discrepancies.map(\.finding.key)) == g.expected && second.discrepancies.allSatisfy { !$0.isNew })
        #expect(second.settledNow.isEmpty && second.resolved.isEmpty)
        #expect(try world.central.scalar("SELECT COUNT(*) FROM discrepancy") == g.expected.count)
        #expect(try world.central.scalar("SELECT COUNT(*) FROM settlement") == critical.count)
        #expect(
            try world.central.scalar("SELECT COUNT(*) FROM change_log WHERE change_type = 'refund.ordered'")
                == critical.count)

        try world.central.execute("UPDATE orders SET idempotency_key = 'till-9-0002' WHERE id = 'key2'")
        let dry = try reconciler.run(scope: ReconciliationScope(), dryRun: true, now: now)
        #expect(dry.mode == .dryRun && dry.resolved == ["duplicate_idempotency_key/till-9-0001"] && dry.runID == nil)
        #expect(
            try world.central.scalar(
                "SELECT status FROM discrepancy WHERE discrepancy_key = 'duplicate_idempotency_key/till-9-0001'")
                == "open")
        let third = try reconciler.run(scope: ReconciliationScope(eventID: "MEGA"), dryRun: false, now: now)
        #expect(third.resolved == ["duplicate_idempotency_key/till-9-0001"])
        #expect(!third.discrepancies.isEmpty && third.discrepancies.allSatisfy { $0.finding.eventID == "MEGA" })
        #expect(
            try world.central.scalar("SELECT status FROM discrepancy WHERE discrepancy_key = 'node_silent/NODE-Z'")
                == "open")
    }

    /// `--since last`: a run reads what central received since the last full run (less a margin);
    /// a run over a shorter window does not move that watermark, and a run from the watermark
    /// neither misses what came in nor resolves what it did not look at.
    @Test func aRunFromTheWatermarkReadsWhatCameInSinceTheLastFullRun() throws {
        let world = try SyncWorld(privateServer: true, importFixture: false)
        let g = SalesGenerator(central: world.central)
        let reconciler = Reconciler(connection: world.central)
        let hour: Int64 = 3_600_000
        let t0 = Timestamp(iso8601: "2030-01-01T02:00:00Z")!
        let at = { (hours: Int64) in Timestamp(milliseconds: t0.milliseconds + hours * hour) }
        let margin = Reconciler.watermarkMargin * 1000
        try g.node("NODE-A", lastSeen: at(100).sqlText)
        try g.event("SHOW", capacity: nil, categories: [("GA", 100)], allocations: [("GA", "NODE-A", 100)])
        #expect(try reconciler.watermark() == nil)

        try g.sale("old", node: "NODE-A", event: "SHOW", category: "GA", minute: 10, paid: 500)  // underpaid
        let full = try reconciler.run(scope: ReconciliationScope(), dryRun: false, now: t0)
        #expect(full.discrepancies.map(\.finding.key) == ["payment_mismatch/old"])
        #expect(try reconciler.watermark()?.milliseconds == t0.milliseconds - margin)

        // A short window leaves the watermark where it was.
        _ = try reconciler.run(scope: ReconciliationScope(since: at(1)), dryRun: false, now: at(2))
        let mark = try #require(try reconciler.watermark())
        #expect(mark.milliseconds == t0.milliseconds - margin)

        // Received just before the last run started, committed after it: still in the next window.
        try g.sale("late", node: "NODE-A", event: "SHOW", category: "GA", minute: 119, paid: 0)
        let incremental = try reconciler.run(scope: ReconciliationScope(since: mark), dryRun: false, now: at(3))
        #expect(incremental.discrepancies.map(\.finding.key) == ["payment_mismatch/late"])
        #expect(incremental.resolved.isEmpty)
        #expect(
            try world.central.scalar("SELECT status FROM discrepancy WHERE discrepancy_key = 'payment_mismatch/old'")
                == "open")
        #expect(try reconciler.watermark()?.milliseconds == at(3).milliseconds - margin)
    }

    /// A run from the watermark reads what came in since, not everything again: it bounds the
    /// places of each category and node by the last full run's count plus the tickets received
    /// since, and looks up only the new payments' references. With 2,000 sales before and three
    /// since, it reads a few hundred rows and finds the reference two of them share. Where new
    /// tickets take a category past its capacity and a node past its allocation, it counts every
    /// ticket and finds both. (`ANALYZE` first: on tables this small, MariaDB without statistics
    /// reads the orders whole rather than by their time.)
    @Test func aRunFromTheWatermarkCountsPlacesFromTheLastCount() throws {
        let world = try SyncWorld(privateServer: true, importFixture: false)  // rows read, by both connections
        let g = SalesGenerator(central: world.central)
        let reconciler = Reconciler(connection: world.central)
        let at = { (minute: Int) in try #require(Timestamp(sqlText: g.at(minute))) }
        try g.node("NODE-A", lastSeen: g.at(60_000))
        try g.node("NODE-B", lastSeen: g.at(60_000))
        try g.event(
            "SHOW", capacity: nil, categories: [("GA", 2_010)],
            allocations: [("GA", "NODE-A", 1_005), ("GA", "NODE-B", 1_005)])
        try g.cleanSales(2_000, event: "SHOW", category: "GA", nodes: ["NODE-A", "NODE-B"])
        try world.central.execute("ANALYZE TABLE orders, payment, ticket")
        #expect(try reconciler.run(scope: ReconciliationScope(), dryRun: false, now: at(60_000)).discrepancies.isEmpty)

        func rowsRead() throws -> Int {
            try world.central.rows("SHOW GLOBAL STATUS LIKE 'Handler_read%'").reduce(0) {
                $0 + (Int(try $1.get(1, as: String.self)) ?? 0)
            }
        }
        for sale in 0..<3 {
            try g.sale(
                "new-\(sale)", node: "NODE-A", event: "SHOW", category: "GA", minute: 60_001 + sale, paid: 1000,
                reference: sale < 2 ? "ref-twice" : nil)
        }
        let before = try rowsRead()
        let quiet = try reconciler.run(
            scope: ReconciliationScope(since: try reconciler.watermark()), dryRun: false, now: at(60_010))
        let read = try rowsRead() - before
        #expect(quiet.discrepancies.map(\.finding.key) == ["duplicate_payment_reference/ref-twice"])
        #expect(read < 500, "\(read) rows read for three new sales")

        for sale in 3..<13 {
            try g.sale("new-\(sale)", node: "NODE-A", event: "SHOW", category: "GA", minute: 60_011 + sale, paid: 1000)
        }
        let over = try reconciler.run(
            scope: ReconciliationScope(since: try reconciler.watermark()), dryRun: false, now: at(60_030))
        #expect(
            over.discrepancies.map(\.finding.key).sorted() == [
                "category_oversold/SHOW/GA/t-new-10-0", "category_oversold/SHOW/GA/t-new-11-0",
                "category_oversold/SHOW/GA/t-new-12-0", "node_over_allocation/SHOW/GA/NODE-A",
            ])
    }

    /// A run from a time on finds the references and the keys used twice since: with few
    /// payments and orders since, by looking each of their references up in
    /// `payment_by_reference` (and grouping their keys); with many (a young central, a long
    /// `--since`), from the indexes whole. Both find the same: what was used twice since, not
    /// what was used once before and once since (the full run's). Before, the payments since were
    /// joined to every payment, which MariaDB did by comparing each with every one once they were
    /// many: 3 s for 10,000 of 20,000, 16 s for 568,000 of 1,000,000.
    @Test func aRunFromATimeFindsReferencesUsedTwiceSinceFromTheirIndex() throws {
        let world = try SyncWorld(importFixture: false)
        let g = SalesGenerator(central: world.central)
        try g.node("NODE-A", lastSeen: g.at(60_000))
        try g.event("SHOW", capacity: nil, categories: [("GA", 5_000)], allocations: [("GA", "NODE-A", 5_000)])
        try g.cleanSales(2_000, event: "SHOW", category: "GA", nodes: ["NODE-A"])  // minutes 10 to 2,009
        for (order, minute, reused) in [
            ("twice-0", 1_500, "twice"), ("twice-1", 1_600, "twice"), ("split-0", 100, "split"),
            ("split-1", 1_700, "split"),
        ] {
            try g.sale(
                order, node: "NODE-A", event: "SHOW", category: "GA", minute: minute, paid: 1000,
                key: "key-\(reused)", reference: "ref-\(reused)")
        }
        func found(_ checks: Checks) throws -> [String] {
            try (checks.duplicatePaymentReferences() + checks.duplicateIdempotencyKeys()).map(\.key)
        }
        try world.central.execute("ANALYZE TABLE orders, payment")
        let since = try #require(Timestamp(sqlText: g.at(1_000)))
        let now = try #require(Timestamp(sqlText: g.at(60_000)))
        var checks = Checks(connection: world.central, scope: ReconciliationScope(since: since), now: now)
        #expect(try checks.fewSince())
        let query = checks.reusedReferencesQuery(recent: true)
        let plan = try world.central.rows("EXPLAIN " + query.sql, query.arguments).map { row in
            [
                try row.get("table", as: String?.self), try row.get("type", as: String?.self),
                try row.get("key", as: String?.self),
            ]
        }
        #expect(plan.contains(["other", "ref", "payment_by_reference"]), "\(plan)")
        let usedTwiceSince = ["duplicate_payment_reference/ref-twice", "duplicate_idempotency_key/key-twice"]
        #expect(try found(checks) == usedTwiceSince)
        checks.recentLimit = 1_000
        #expect(try !checks.fewSince())
        #expect(try found(checks) == usedTwiceSince)
        #expect(
            try found(Checks(connection: world.central, scope: ReconciliationScope(), now: now)).sorted() == [
                "duplicate_idempotency_key/key-split", "duplicate_idempotency_key/key-twice",
                "duplicate_payment_reference/ref-split", "duplicate_payment_reference/ref-twice",
            ])
    }

    /// Places are counted per category and per node, over all events or one: every GA ticket,
    /// each seat once in its category and once in each node's share however many live tickets it
    /// has (a refunded one takes none), from the tickets counted less those of the seats with
    /// more than one, which the seats sold twice read too. (`bench reconcile` times the run over
    /// one event: grouped `WITH ROLLUP` as before, MariaDB sorted every ticket of it.)
    @Test func placesCountEachSeatOnceInACategoryAndInEachNodesShare() throws {
        let world = try SyncWorld(importFixture: false)
        let g = SalesGenerator(central: world.central)
        try g.node("NODE-A", lastSeen: g.at(600))
        try g.event(
            "HALL", capacity: nil, categories: [("MAIN", 100), ("VIP", 10)],
            allocations: [("MAIN", "NODE-A", 50), ("MAIN", "NODE-B", 50), ("VIP", "NODE-A", 10)])
        try g.event("FIELD", capacity: nil, categories: [("GA", 100)], allocations: [("GA", "NODE-A", 100)])
        try g.cleanSales(30, event: "FIELD", category: "GA", nodes: ["NODE-A", "NODE-A", "NODE-B"])
        let sales: [(String, String, String, String?, String)] = [
            ("s1-a", "NODE-A", "MAIN", "S1", "confirmed"), ("s1-b", "NODE-B", "MAIN", "S1", "confirmed"),
            ("s2-a", "NODE-A", "MAIN", "S2", "confirmed"), ("s2-a2", "NODE-A", "MAIN", "S2", "confirmed"),
            ("s3-a", "NODE-A", "MAIN", "S3", "confirmed"), ("s4-b", "NODE-B", "MAIN", "S4", "confirmed"),
            ("s4-vip", "NODE-A", "VIP", "S4", "confirmed"), ("s5-a", "NODE-A", "MAIN", "S5", "refunded"),
            ("s5-b", "NODE-B", "MAIN", "S5", "refunded"),
        ]
        for (order, node, category, seat, status) in sales {
            try g.sale(order, node: node, event: "HALL", category: category, seats: [seat], minute: 1, status: status)
        }
        typealias Category = OccupiedPlaces.Category
        typealias Node = OccupiedPlaces.Node
        let hall: [Category: Int] = [
            Category(eventID: "HALL", code: "MAIN"): 4, Category(eventID: "HALL", code: "VIP"): 1,
        ]
        let hallNodes: [Node: Int] = [
            Node(eventID: "HALL", categoryCode: "MAIN", nodeID: "NODE-A"): 3,
            Node(eventID: "HALL", categoryCode: "MAIN", nodeID: "NODE-B"): 2,
            Node(eventID: "HALL", categoryCode: "VIP", nodeID: "NODE-A"): 1,
        ]
        let field: [Category: Int] = [Category(eventID: "FIELD", code: "GA"): 30]
        let fieldNodes: [Node: Int] = [
            Node(eventID: "FIELD", categoryCode: "GA", nodeID: "NODE-A"): 20,
            Node(eventID: "FIELD", categoryCode: "GA", nodeID: "NODE-B"): 10,
        ]
        let now = try #require(Timestamp(sqlText: g.at(600)))
        let checks = Checks(connection: world.central, scope: ReconciliationScope(), now: now)
        let seats = try checks.seatsWithMoreThanOneTicket()
        #expect(seats.mapValues { $0.sorted() } == ["HALL": ["S1", "S2", "S4"]])
        let all = try checks.occupiedPlaces(seats)
        #expect(all.byCategory == hall.merging(field) { $1 } && all.byNode == hallNodes.merging(fieldNodes) { $1 })
        let one = Checks(connection: world.central, scope: ReconciliationScope(eventID: "HALL"), now: now)
        let places = try one.occupiedPlaces(try one.seatsWithMoreThanOneTicket())
        #expect(places.byCategory == hall && places.byNode == hallNodes)
        #expect(
            try one.seatsSoldTwice(seats).map(\.key).sorted() == [
                "seat_double_sold/HALL/S1/t-s1-b-0", "seat_double_sold/HALL/S2/t-s2-a2-0",
                "seat_double_sold/HALL/S4/t-s4-b-0",
            ])
    }

    /// A ticket refunded before the count kept and checked in after it (a node that had not yet
    /// heard of the refund) takes a place again without a new order: the bound of a run from the
    /// watermark counts it, and the category and the node over their capacity and allocation are
    /// found.
    @Test func aTicketCheckedInAfterItsRefundIsCountedFromTheWatermark() throws {
        let world = try SyncWorld(importFixture: false)
        let g = SalesGenerator(central: world.central)
        let reconciler = Reconciler(connection: world.central)
        let at = { (minute: Int) in try #require(Timestamp(sqlText: g.at(minute))) }
        try g.node("NODE-A", lastSeen: g.at(300))
        try g.event("SMALL", capacity: nil, categories: [("GA", 3)], allocations: [("GA", "NODE-A", 3)])
        for (index, id) in ["s1", "s2", "s3"].enumerated() {
            try g.sale(id, node: "NODE-A", event: "SMALL", category: "GA", minute: 10 + index, paid: 1000)
        }
        try world.central.execute("UPDATE ticket SET status = 'void' WHERE code = 't-s3-0'")
        try world.central.execute("INSERT INTO refund_ticket (refund_id, ticket_code) VALUES ('r-s3', 't-s3-0')")
        _ = try reconciler.run(scope: ReconciliationScope(), dryRun: false, now: at(100))

        try g.sale("s4", node: "NODE-A", event: "SMALL", category: "GA", minute: 200, paid: 1000)
        try world.central.execute(
            "UPDATE ticket SET status = 'checked_in', checked_in_at = ? WHERE code = 't-s3-0'", [g.at(201)])
        let run = try reconciler.run(
            scope: ReconciliationScope(since: try reconciler.watermark()), dryRun: false, now: at(210))
        let keys = Set(run.discrepancies.map(\.finding.key))
        #expect(
            keys.isSuperset(of: ["category_oversold/SMALL/GA/t-s4-0", "node_over_allocation/SMALL/GA/NODE-A"]),
            "\(keys.sorted())")
    }

    /// Two long checks run on a second connection while the others run on the first; a central
    /// that lets the user have one connection only gets the same report, in the same order, from
    /// every check run in turn.
    @Test func aCentralAllowingOneConnectionGetsTheSameReportInTurn() throws {
        let world = try SyncWorld(importFixture: false)
        let g = SalesGenerator(central: world.central)
        try g.node("NODE-A", lastSeen: g.at(600))
        try g.event("SHOW", capacity: nil, categories: [("GA", 100)], allocations: [("GA", "NODE-A", 100)])
        try g.cleanSales(50, event: "SHOW", category: "GA", nodes: ["NODE-A"])
        try g.sale("under", node: "NODE-A", event: "SHOW", category: "GA", minute: 500, paid: 500)
        try g.sale("kept", node: "NODE-A", event: "SHOW", category: "GA", minute: 501, paid: 1000, status: "refunded")
        try g.sale("key1", node: "NODE-A", event: "SHOW", category: "GA", minute: 502, paid: 1000, key: "till-1")
        try g.sale("key2", node: "NODE-A", event: "SHOW", category: "GA", minute: 503, paid: 1000, key: "till-1")
        try world.central.execute(
            """
            INSERT INTO payment (id, order_id, node_id, method, amount_minor, currency, status, created_at)
            VALUES ('p-ghost', 'no-such-order', 'NODE-A', 'card', 500, 'EUR', 'captured', ?)
            """, [g.at(504)])
        let now = Timestamp(iso8601: "2030-01-01T10:00:00Z")!
        func report(_ connection: MySQLConnection) throws -> ([String], [Int]) {
            var order = [Int]()
            let found = try Reconciler(connection: connection).run(
                scope: ReconciliationScope(), dryRun: true, now: now, progress: { order.append($0.index) })
            return (found.discrepancies.map(\.finding.key), order)
        }
        let both = try report(world.central)
        #expect(
            both.0 == [
                "payment_mismatch/under", "payment_unexpected/p-kept", "payment_unexpected/p-ghost",
                "duplicate_idempotency_key/till-1",
            ])
        #expect(both.1 == Array(1...both.1.count))

        let user = "lone_\(UUID().uuidString.prefix(6).lowercased())"
        try world.server.sql(
            "CREATE USER '\(user)'@'localhost' IDENTIFIED BY 'lone-password' WITH MAX_USER_CONNECTIONS 1; "
                + "GRANT SELECT ON \(world.databaseName).* TO '\(user)'@'localhost'")
        defer { try? world.server.sql("DROP USER '\(user)'@'localhost'") }
        let passwordFile = world.directory.file("lone.password")
        try "lone-password\n".write(toFile: passwordFile, atomically: true, encoding: .utf8)
        chmod(passwordFile, 0o600)
        let lone = try MySQLConfiguration(
            url: world.url.replacingOccurrences(of: "venue_app@", with: "\(user)@"),
            environment: ["CENTRAL_PASSWORD_FILE": passwordFile])
        let connection = try MySQLConnection(lone)
        #expect(throws: MySQLError.self, "a second connection for this user") { try MySQLConnection(lone) }
        let alone = try report(connection)
        #expect(alone.0 == both.0 && alone.1 == both.1)
    }

    /// A run over all of central reads the orders and the payments once each, a chunk of keys at
    /// a time, and merges them (5–6 s per million each as a join); what the merge finds, the
    /// check's own query confirms. Keys are told apart by their bytes as the server does: a
    /// composed and a decomposed `é` are two orders, while `pad` and `pad ` (a trailing space)
    /// are one. Chunks of 1, 7 and 10,000 orders find the same. When the server sends keys out
    /// of their bytes' order (`tab\t` sorts before `tab` where spaces pad), the run joins in SQL
    /// instead, with the same findings.
    @Test func aFullRunMergesPaymentsWithOrdersAndConfirmsWhatItFinds() throws {
        let world = try SyncWorld(importFixture: false)
        let g = SalesGenerator(central: world.central)
        try g.node("NODE-A", lastSeen: g.at(600))
        try g.event("SHOW", capacity: nil, categories: [("GA", 10_000)], allocations: [("GA", "NODE-A", 10_000)])
        try g.cleanSales(300, event: "SHOW", category: "GA", nodes: ["NODE-A"])
        func sale(_ id: String, paid: [(order: String, amount: Int64)], status: String = "confirmed") throws {
            try g.sale(id, node: "NODE-A", event: "SHOW", category: "GA", minute: 500, status: status)
            for (index, payment) in paid.enumerated() {
                try world.central.execute(
                    """
                    INSERT INTO payment (id, order_id, node_id, method, amount_minor, currency, status, created_at)
                    VALUES (?, ?, 'NODE-A', 'cash', ?, 'EUR', 'captured', ?)
                    """, ["p-\(id)-\(index)", payment.order, payment.amount, g.at(500)])
            }
        }
        try sale("unpaid", paid: [])
        try sale("split", paid: [("split", 600), ("split", 400)])
        try sale("split-over", paid: [("split-over", 600), ("split-over", 500)])
        try sale("caf\u{E9}", paid: [("cafe\u{301}", 1000)])
        try sale("pad", paid: [("pad ", 1000)])
        try sale("refunded", paid: [("refunded", 1000)], status: "refunded")
        try sale("zz-last", paid: [("zz-last", 1000), ("zz-last-ghost", 1000)])
        try sale("0-first", paid: [("0-first", 1000), ("0-before-first", 1000)])
        let inBytes = { (keys: [String]) in keys.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) } }
        let expected = [
            "payment_mismatch/caf\u{E9}", "payment_mismatch/split-over", "payment_mismatch/unpaid",
            "payment_unexpected/p-0-first-1", "payment_unexpected/p-cafe\u{301}-0", "payment_unexpected/p-refunded-0",
            "payment_unexpected/p-zz-last-1",
        ]
        func found() throws -> [String] {
            inBytes(
                try Reconciler(connection: world.central).run(
                    scope: ReconciliationScope(), dryRun: true, now: Timestamp(iso8601: "2030-01-01T10:00:00Z")!
                ).discrepancies.map(\.finding.key).filter { $0.hasPrefix("payment_") })
        }
        #expect(try found() == inBytes(expected))
        let merged = try #require(try PaymentsAgainstOrders.find(in: world.central))
        #expect(merged.orders.contains("pad") && merged.payments.contains("p-pad-0"), "confirmed away, not reported")
        for chunk in [1, 7] {
            let small = try #require(try PaymentsAgainstOrders.find(in: world.central, chunk: chunk))
            #expect(small.orders == merged.orders && small.payments == merged.payments, "chunks of \(chunk)")
        }

        try sale("tab", paid: [("tab", 1000)])
        try sale("tab\t", paid: [])
        #expect(try PaymentsAgainstOrders.find(in: world.central) == nil)
        #expect(try found() == inBytes(expected + ["payment_mismatch/tab\t"]))
    }

    @Test func aReadOnlyCentralGetsAReportAndNothingElse() throws {
        let world = try SyncWorld(privateServer: true, importFixture: false)
        let g = SalesGenerator(central: world.central)
        try g.node("NODE-Z", lastSeen: Timestamp(milliseconds: 0).sqlText)
        try world.server.sql("SET GLOBAL read_only = ON")
        let result = try ProcessRunner.run(
            ProcessRunner.product("central"), ["reconcile"], environment: world.environment)
        #expect(result.status == 11, "\(result.stderr)")
        #expect(result.stdout.hasPrefix("Central is read-only: report only; nothing recorded or settled.\n"))
        #expect(result.stdout.contains("node_silent"))
        try world.server.sql("SET GLOBAL read_only = OFF")
        #expect(try world.central.scalar("SELECT COUNT(*) FROM discrepancy") == 0)
        #expect(try world.central.scalar("SELECT COUNT(*) FROM reconciliation_run") == 0)
    }

    /// A seat sold by two nodes after a bad local re-allocation: reconcile orders the later sale
    /// refunded, the node carries it out after a sync, and `boxoffice order` shows it.
    @Test func aSettledRefundReachesTheNodeAndShowsInBoxofficeOrder() throws {
        let world = try SyncWorld()
        let a = try world.makeNode("NODE-A")
        let b = try world.makeNode("NODE-B")
        #expect(try world.syncOnce(a).status == 0 && world.syncOnce(b).status == 0)
        let badImport = world.directory.file("bad.json")
        try SyncWorld.fixture.replacingOccurrences(
            of: "\"seats\": [\"MAIN-D\", \"MAIN-E\"]", with: "\"seats\": [\"MAIN-A-1\", \"MAIN-D\", \"MAIN-E\"]"
        )
        .write(toFile: badImport, atomically: true, encoding: .utf8)
        _ = try b.node.catalog.importReference(file: badImport, by: b.admin)
        let first = try a.sell("SEATED", "MAIN", .seats(["MAIN-A-1"]))
        let second = try b.node.sales.sell(
            SaleRequest(
                eventID: "SEATED", categoryCode: "MAIN", selection: .seats(["MAIN-A-1"]),
                payment: PaymentRequest(method: .card, reference: "B-1"),
                customer: CustomerDetails(email: "late@example.org")), by: b.admin)
        #expect(try world.syncOnce(a).status == 0 && world.syncOnce(b).status == 0)

        let tool = ProcessRunner.product("central")
        let report = try ProcessRunner.run(tool, ["reconcile", "--progress"], environment: world.environment)
        #expect(report.status == 10, "\(report.stderr)")
        #expect(
            report.stderr.hasPrefix("[1/17] seat_double_sold: 1 found (")
                && report.stderr.contains("[17/17] node_clock_skew: 0 found"))
        #expect(report.stderr.hasSuffix("Error: 1 discrepancy open\n"))
        let json = try ProcessRunner.run(tool, ["reconcile", "--json", "--dry-run"], environment: world.environment)
        #expect(json.status == 10 && json.stderr == "Error: 1 discrepancy open\n")
        let document = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any]
        #expect(
            (document?["discrepancies"] as? [Any])?.count == 1 && document?["error"] == nil,
            "one JSON document: \(json.stdout)")
        #expect(
            report.stdout.contains("seat_double_sold") && report.stdout.contains(second.tickets[0].code)
                && report.stdout.contains("refund ordered"))
        #expect(!report.stdout.contains(first.tickets[0].code + " of order"))

        #expect(try world.syncOnce(b).status == 0)
        let session = world.directory.file("b.session")
        let login = try ProcessRunner.run(
            ProcessRunner.product("boxoffice"), ["login", "root", "--db", b.path], stdin: "root-password\n",
            environment: ["BOXOFFICE_SESSION_FILE": session])
        #expect(login.status == 0, "\(login.stderr)")
        let order = try ProcessRunner.run(
            ProcessRunner.product("boxoffice"), ["order", second.orderID, "--db", b.path, "--json"],
            environment: ["BOXOFFICE_SESSION_FILE": session])
        let details = try #require(try JSONSerialization.jsonObject(with: Data(order.stdout.utf8)) as? [String: Any])
        let refund = try #require((details["refunds"] as? [[String: Any]])?.first)
        #expect(refund["origin"] as? String == "central" && refund["status"] as? String == "pending")
        #expect((details["order"] as? [String: Any])?["status"] as? String == "cancelled")
        #expect(try b.count("SELECT count(*) FROM notification WHERE kind = 'refund_ordered'") == 1)
        let text = try ProcessRunner.run(
            ProcessRunner.product("boxoffice"), ["order", second.orderID, "--db", b.path],
            environment: ["BOXOFFICE_SESSION_FILE": session])
        #expect(
            text.stdout.contains("Refund ref_") && text.stdout.contains("pending") && text.stdout.contains("(central)"))

        #expect(try world.syncOnce(b).status == 0)
        let again = try ProcessRunner.run(tool, ["reconcile", "--json"], environment: world.environment)
        #expect(again.status == 0, "\(again.stdout)")
        #expect(
            again.stdout.contains(
                "\"resolved\" : [\n    \"seat_double_sold/SEATED/MAIN-A-1/\(second.tickets[0].code)\""))
        let third = try ProcessRunner.run(tool, ["reconcile"], environment: world.environment)
        #expect(third.status == 0 && third.stdout.hasSuffix("No discrepancies.\n"))
        #expect(try world.syncOnce(b).status == 0)
        #expect(try b.count("SELECT count(*) FROM refund") == 1)
    }
}
