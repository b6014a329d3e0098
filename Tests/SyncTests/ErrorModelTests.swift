import Central
import EdgeStore
import Foundation
import MySQLClient
import SyncWire
import TestSupport
import Testing

@testable import Ticketing

#if canImport(Glibc)
    import Glibc
#endif

/// One error model: a record that can never apply is parked with its error and the rest flows;
/// an operational failure rolls back and is retried; nothing is skipped.
@Suite struct ErrorModelTests {
    @Test func aMissingGrantIsRetriedAndParksNothing() throws {
        let world = try SyncWorld()
        let node = try world.makeNode("NODE-A")
        let database = world.databaseName
        let user = "limited_\(UUID().uuidString.prefix(6).lowercased())"
        let tables = try world.central.rows(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = DATABASE()"
        )
        .map { try $0.get(0, as: String.self) }
        try world.server.sql(
            "CREATE USER '\(user)'@'localhost' IDENTIFIED BY 'limited-password'; "
                + "GRANT SELECT, UPDATE, DELETE ON \(database).* TO '\(user)'@'localhost'; "
                + tables.filter { $0 != "payment" }.map { "GRANT INSERT ON \(database).\($0) TO '\(user)'@'localhost'" }
                .joined(separator: "; "))
        defer { try? world.server.sql("DROP USER '\(user)'@'localhost'") }
        let passwordFile = world.directory.file("limited.password")
        try "limited-password\n".write(toFile: passwordFile, atomically: true, encoding: .utf8)
        chmod(passwordFile, 0o600)
        let limited = [
            "CENTRAL_URL": world.url.replacingOccurrences(of: "venue_app@", with: "\(user)@"),
            "CENTRAL_PASSWORD_FILE": passwordFile,
        ]
        func sync() throws -> ProcessResult {
            try ProcessRunner.run(
                ProcessRunner.product("venue-syncd"), ["--db", node.path, "--once"], environment: limited)
        }
        #expect(try world.syncOnce(node).status == 0)
        for _ in 0..<30 { try node.sell("BIG", "FLOOR") }

        let refused = try sync()
        #expect(refused.status == 75 && refused.stderr.contains("cause=privileges"), "\(refused.stderr)")
        let status = try node.node.sync.status()
        #expect(status.mode == .unreachable && status.cause == "privileges" && status.outboxPending == 30)
        #expect(try world.central.scalar("SELECT COUNT(*) FROM sync_inbox WHERE status = 'parked'") == 0)
        #expect(try world.central.scalar("SELECT COUNT(*) FROM orders") == 0)

        try world.server.sql("GRANT INSERT ON \(database).payment TO '\(user)'@'localhost'")
        #expect(try sync().status == 0)
        #expect(try world.centralOrders(node: "NODE-A") == node.orders())
        #expect(try world.central.scalar("SELECT COUNT(*) FROM sync_inbox WHERE status = 'parked'") == 0)
        #expect(try node.node.sync.status().mode == .writable)
    }

    @Test func poisonRecordsAreParkedAndTheRestFlows() throws {
        let world = try SyncWorld()
        let node = try world.makeNode("NODE-A")
        #expect(try world.syncOnce(node).status == 0)
        func poison(
            type: String = "ticket.checked_in", entity: String = "T", payload: String = "{}",
            createdAt: Int64 = 1_900_000_000_000
        ) throws {
            try node.node.database.execute(
                "INSERT INTO sync_outbox (record_type, entity_id, payload, created_at) VALUES (?, ?, ?, ?)",
                [type, entity, payload, createdAt])
        }
        try node.sell("BIG", "FLOOR")
        try poison(entity: String(repeating: "E", count: 200))
        try node.sell("BIG", "FLOOR")
        try poison(type: String(repeating: "t", count: 60))
        try node.sell("BIG", "FLOOR")
        try poison(createdAt: 1_000_000_000_000_000)
        try node.sell("BIG", "FLOOR")
        try poison(payload: "{\"padding\":\"" + String(repeating: "x", count: 17 << 20) + "\"}")
        try node.sell("BIG", "FLOOR")

        let sync = try world.syncOnce(node)
        #expect(sync.status == 0, "\(sync.stderr)")
        #expect(try world.centralOrders(node: "NODE-A") == node.orders())
        #expect(try node.orders().count == 5)
        let parked = try NodesReport(connection: world.central).parked(node: "NODE-A")
        #expect(parked.count == 4, "\(parked)")
        #expect(parked.map(\.error).joined(separator: "\n").contains("entity id is 200 characters long"))
        #expect(parked.contains { $0.error.contains("record type is 60 characters long") })
        #expect(parked.contains { $0.error.contains("outside the years") })
        #expect(parked.contains { $0.error.contains("stays in the node's outbox") })
        let status = try node.node.sync.status()
        #expect(status.mode == .writable && status.outboxPending == 0 && status.centralParked == 4)
        let listed = try world.central(["parked", "NODE-A"])
        #expect(listed.status == 0 && listed.stdout.split(separator: "\n").count == 5)
    }

    @Test func longIdsFitCentralsColumns() throws {
        let world = try SyncWorld(importFixture: false)
        let event = String(repeating: "E", count: 40)
        let category = String(repeating: "C", count: 40)
        let file = world.directory.file("long.json")
        try """
        { "format": "venue-reference/1", "venues": [ { "id": "HALL", "name": "Hall", "timezone": "UTC",
            "sections": [ { "code": "MAIN", "rows": [ { "labels": "A", "seats": 2 } ] } ] } ],
          "events": [ { "id": "\(event)", "venue": "HALL", "name": "Long", "starts_at": "2030-01-01T20:00:00Z", "status": "on_sale",
                        "categories": [ { "code": "\(category)", "name": "Floor", "kind": "ga", "price_minor": 100, "capacity": 10 } ] } ],
          "allocations": [ { "node": "NODE-A", "event": "\(event)", "category": "\(category)", "quota": 5 } ], "staff": [] }
        """.write(toFile: file, atomically: true, encoding: .utf8)
        let imported = try world.central(["import", file])
        #expect(imported.status == 0, "\(imported.stderr)")
        let node = try world.makeNode("NODE-A")
        #expect(try world.syncOnce(node).status == 0)
        try node.sell(event, category)
        #expect(try world.syncOnce(node).status == 0)
        #expect(try world.centralOrders(node: "NODE-A") == node.orders())
        #expect(try world.central.scalar("SELECT COUNT(*) FROM sync_inbox WHERE status = 'parked'") == 0)
    }

    /// A name or reason with accents written as combining marks is as long as MySQL counts it:
    /// what the node accepts, central stores.
    @Test func textThatFitsTheNodeFitsCentral() throws {
        let world = try SyncWorld()
        let node = try world.makeNode("NODE-A")
        #expect(try world.syncOnce(node).status == 0)
        let accented = String(repeating: "e\u{301}", count: 100)
        #expect(SyncLimits.length(accented) == 200 && accented.count == 100)
        let sale = try node.node.sales.sell(
            SaleRequest(
                eventID: "BIG", categoryCode: "FLOOR", selection: .quantity(2),
                payment: PaymentRequest(method: .cash),
                customer: CustomerDetails(email: "e@example.org", name: accented)), by: node.admin)
        let reason = String(repeating: "e\u{301}", count: 250)
        _ = try node.node.refunds.refund(orderID: sale.orderID, ticketCodes: nil, reason: reason, by: node.admin)
        #expect(throws: TicketingError.self) {
            try node.node.sales.sell(
                SaleRequest(
                    eventID: "BIG", categoryCode: "FLOOR", selection: .quantity(1),
                    payment: PaymentRequest(method: .cash),
                    customer: CustomerDetails(email: "f@example.org", name: accented + "e\u{301}")), by: node.admin)
        }
        #expect(try world.syncOnce(node).status == 0)
        #expect(try world.central.scalar("SELECT COUNT(*) FROM sync_inbox WHERE status = 'parked'") == 0)
        #expect(try world.central.scalar("SELECT name FROM customer WHERE email = 'e@example.org'") == accented)
        #expect(try world.central.scalar("SELECT reason FROM refund WHERE order_id = ?", [sale.orderID]) == reason)
        #expect(try world.central.scalar("SELECT status FROM orders WHERE id = ?", [sale.orderID]) == "refunded")
    }

    /// A record parked for a reason that is later fixed (here: a column widened at central) is
    /// applied by `central parked NODE --retry`, and counts move from parked to applied.
    @Test func parkedRecordsApplyAgainAfterAFix() throws {
        let world = try SyncWorld()
        let node = try world.makeNode("NODE-A")
        #expect(try world.syncOnce(node).status == 0)
        try node.sell("BIG", "FLOOR")
        let order = OrderPlacedRecord(
            orderID: "ord_OLDNODE0000000000000000001", nodeID: "NODE-A", eventID: "BIG", categoryCode: "FLOOR",
            idempotencyKey: "old-node-key-1", holdID: nil,
            customer: .init(
                id: "cus_OLD", email: "old@example.org", name: String(repeating: "n", count: 250), phone: nil),
            tickets: [.init(code: "OLDN-ODE0-0000-0001", seat: nil, priceMinor: 1000)], totalMinor: 1000,
            currency: "EUR",
            payment: .init(
                id: "pay_OLD", method: .cash, amountMinor: 1000, tenderedMinor: nil, changeMinor: nil, reference: nil),
            createdAt: world.clock.now(), createdBy: "root")
        try node.node.database.execute(
            "INSERT INTO sync_outbox (record_type, entity_id, payload, created_at) VALUES ('order.placed', ?, ?, ?)",
            [order.orderID, try JSONText.encode(order), world.clock.now().milliseconds])
        try node.sell("BIG", "FLOOR")
        #expect(try world.syncOnce(node).status == 0)
        let parked = try NodesReport(connection: world.central).parked(node: "NODE-A")
        #expect(parked.count == 1 && parked[0].error.contains("1406"), "\(parked)")

        let still = try world.central(["parked", "NODE-A", "--retry"])
        #expect(still.status == 10 && still.stdout.contains("still parked"), "\(still.stdout)\(still.stderr)")
        try world.server.sql("ALTER TABLE \(world.databaseName).customer MODIFY name VARCHAR(300) NULL")
        let retried = try world.central(["parked", "NODE-A", "--retry", "--json"])
        #expect(retried.status == 0, "\(retried.stdout)\(retried.stderr)")
        #expect(try world.central.scalar("SELECT status FROM orders WHERE id = ?", [order.orderID]) == "confirmed")
        let report = try #require(try NodesReport(connection: world.central).nodes(now: world.clock.now()).first)
        #expect(report.recordsParked == 0 && report.recordsApplied == report.acknowledgedSeq)
    }
}
