import Foundation
import Reconciliation
import TestSupport
import Testing

@testable import Ticketing

/// `central smoke`'s writes check: the statements a node's daemon runs, as the nodes' user.
@Suite struct NodeWriteProbeTests {
    /// The issue as operators met it: the app user lost INSERT, UPDATE and DELETE, every node
    /// reports `privileges`, and `central smoke` must say so.
    @Test func smokeFailsWhileTheNodesUserCannotWriteAndPassesOnceItCan() throws {
        let world = try SyncWorld()
        let node = try world.makeNode("NODE-A")
        let user = try world.makeUser(grants: "SELECT, INSERT, UPDATE, DELETE")
        func sync() throws -> ProcessResult {
            try ProcessRunner.run(
                ProcessRunner.product("venue-syncd"), ["--db", node.path, "--once"], environment: user.environment)
        }
        func smoke(_ environment: [String: String]) throws -> ProcessResult {
            try ProcessRunner.run(ProcessRunner.product("central"), ["smoke"], environment: environment)
        }
        let asNodes = world.environment.merging([
            "CENTRAL_APP_URL": user.url, "CENTRAL_APP_PASSWORD_FILE": user.environment["CENTRAL_PASSWORD_FILE"]!,
        ]) { _, new in new }
        #expect(try sync().status == 0)
        try node.sell("BIG", "FLOOR")
        try world.server.sql("REVOKE INSERT, UPDATE, DELETE ON \(world.databaseName).* FROM '\(user.name)'@'localhost'")
        let refused = try sync()
        #expect(refused.status == 75 && refused.stderr.contains("cause=privileges"), "\(refused.stderr)")

        let statements = NodeWriteProbe.writes.map(\.statements.count).reduce(0, +)
        let lockingReads = NodeWriteProbe.writes.filter { $0.statements.contains(.lockingRead) }.count
        let failed = try smoke(asNodes)
        #expect(failed.status == 1 && failed.stderr == "Error: smoke test failed: writes\n", "\(failed.stdout)")
        let writes = failed.stdout.split(separator: "\n").first { $0.hasPrefix("FAIL  writes") } ?? ""
        #expect(
            writes.hasPrefix(
                "FAIL  writes    as \(user.name)@localhost, \(statements - lockingReads) of \(statements) refused: "
                    + "INSERT on node: 1142 "),
            "\(failed.stdout)")
        #expect(try smoke(user.environment).status == 1, "as the tool's own user, when no nodes' user is given")
        #expect(try world.central.scalar("SELECT COUNT(*) FROM orders") == 0, "the probe keeps nothing")

        try world.server.sql("GRANT INSERT, UPDATE, DELETE ON \(world.databaseName).* TO '\(user.name)'@'localhost'")
        let passed = try smoke(asNodes)
        #expect(passed.status == 0, "\(passed.stdout)")
        #expect(
            passed.stdout.contains("PASS  writes    as \(user.name)@localhost: \(statements) statements on 17 tables"))
        #expect(try sync().status == 0)
        #expect(try world.centralOrders(node: "NODE-A") == node.orders())
    }

    /// The probe's list is what the sync path needs: a user granted SELECT and exactly the
    /// probed writes, table by table, syncs every kind of record a node sends — sales (GA and
    /// seated, with customers), refunds, check-ins, an event's status, answers to allocation
    /// changes, a sale central records as a conflict, a record central parks.
    @Test func aUserGrantedOnlyTheProbedWritesSyncsEveryKindOfRecord() throws {
        let world = try SyncWorld()
        let user = try world.makeUser(grants: "SELECT")
        try world.server.sql(
            NodeWriteProbe.writes.flatMap { table, statements in
                statements.filter { $0 != .lockingRead }.map {
                    "GRANT \($0.rawValue) ON \(world.databaseName).\(table) TO '\(user.name)'@'localhost'"
                }
            }
            .joined(separator: "; "))
        let node = try world.makeNode("NODE-A")
        func sync() throws {
            let result = try ProcessRunner.run(
                ProcessRunner.product("venue-syncd"), ["--db", node.path, "--once"], environment: user.environment)
            #expect(result.status == 0, "\(result.stderr)")
        }
        try sync()
        let customer = CustomerDetails(email: "fan@example.org")
        let small = try node.node.sales.sell(
            SaleRequest(
                eventID: "SMALL", categoryCode: "GA", selection: .quantity(2), payment: PaymentRequest(method: .cash),
                customer: customer), by: node.admin)
        let seated = try node.sell("SEATED", "MAIN", .seats(["MAIN-A-1", "MAIN-A-2"]))
        _ = try node.node.refunds.refund(
            orderID: seated.orderID, ticketCodes: [seated.tickets[0].code], reason: "changed plans", by: node.admin)
        _ = try node.node.door.checkIn(code: small.tickets[0].code, eventID: small.eventID, by: node.admin)
        try node.node.catalog.changeStatus("BIG", to: .closed, reason: "sold at the door only", by: node.admin)
        try node.node.database.execute(
            "INSERT INTO sync_outbox (record_type, entity_id, payload, created_at) VALUES ('no.such.type', 'X', '{}', ?)",
            [1_900_000_000_000])
        try sync()

        for arguments in [
            ["allocate", "SMALL", "--category", "GA", "--node", "NODE-A", "--quota", "50"],
            ["allocate", "SEATED", "--category", "MAIN", "--node", "NODE-A", "--seats", "MAIN-A", "MAIN-B"],
            ["event", "cancel", "SMALL", "--reason", "storm"],
        ] {
            let done = try world.central(arguments)
            #expect(done.status == 0, "\(arguments): \(done.stderr)")
        }
        try node.sell("SMALL", "GA")  // before this node hears of the cancellation: a conflict at central
        try sync()
        try sync()
        #expect(try world.centralOrders(node: "NODE-A") == node.orders())
        #expect(try world.central.scalar("SELECT COUNT(*) FROM sync_inbox WHERE status = 'parked'") == 1)
        #expect(try world.central.scalar("SELECT COUNT(*) FROM sync_conflict") ?? 0 > 0)
        #expect(try world.central.scalar("SELECT status FROM event WHERE id = 'BIG'") == "closed")
        #expect(
            try world.central.scalar(
                "SELECT COUNT(*) FROM allocation WHERE node_id = 'NODE-A' AND proposal_status = 'accepted'") == 3)
        #expect(try node.node.sync.status().outboxPending == 0)
    }
}
