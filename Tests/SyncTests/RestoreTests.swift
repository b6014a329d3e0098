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

/// Restores of either side: a node restored from a snapshot, a central restored from a backup,
/// a node database copied back by hand. Afterwards node and central agree order by order.
@Suite(.serialized) struct RestoreTests {
    /// Central holds exactly the node's records, numbered 1 to the node's newest, once each.
    private func expectSequencesAgree(_ world: SyncWorld, _ node: SyncNode, _ label: String) throws {
        let id = try node.node.settings().nodeID
        let newest = try node.count("SELECT max(seq) FROM sync_outbox")
        #expect(try world.central.scalar("SELECT acknowledged_seq FROM node WHERE id = ?", [id]) == newest, "\(label)")
        #expect(
            try world.central.scalar("SELECT COUNT(*) FROM sync_inbox WHERE node_id = ?", [id]) == newest, "\(label)")
        #expect(
            try world.central.scalar("SELECT MAX(seq) FROM sync_inbox WHERE node_id = ?", [id]) == newest, "\(label)")
        #expect(try node.node.sync.status().outboxPending == 0, "\(label)")
    }

    @Test func aRestoredNodeTakesBackWhatItSoldAfterTheSnapshotBeforeItSellsAgain() throws {
        let world = try SyncWorld()
        let node = try world.makeNode("NODE-A")
        #expect(try world.syncOnce(node).status == 0)
        for _ in 0..<5 { try node.sell("BIG", "FLOOR") }
        #expect(try world.syncOnce(node).status == 0)
        let snapshot = world.directory.file("old.sqlite")
        #expect(try world.boxoffice(node, ["backup", snapshot]).status == 0)

        // After the snapshot: sales, one on a seat and one with a customer and a key, a refund, a check-in.
        for _ in 0..<5 { try node.sell("BIG", "FLOOR") }
        let seat = try node.sell("SEATED", "MAIN", .seats(["MAIN-A-1"]))
        let keyed = SaleRequest(
            eventID: "BIG", categoryCode: "FLOOR", selection: .quantity(2), payment: PaymentRequest(method: .cash),
            customer: CustomerDetails(email: "fan@example.org", name: "Fan"), idempotencyKey: "till-9-000001")
        let kept = try node.node.sales.sell(keyed, by: node.admin)
        let refunded = try node.sell("BIG", "FLOOR", .quantity(3))
        _ = try node.node.refunds.refund(
            orderID: refunded.orderID, ticketCodes: [refunded.tickets[0].code], reason: "one cannot come",
            by: node.admin)
        _ = try node.node.door.checkIn(code: seat.tickets[0].code, eventID: seat.eventID, by: node.admin)
        #expect(try world.syncOnce(node).status == 0)
        let central = try world.centralOrders(node: "NODE-A")
        #expect(try central.count == 13 && central == node.orders())

        // Restoring is refused while the daemon holds the database.
        let daemon = try world.startDaemon(node, ["--interval", "200ms"])
        #expect(waitUntil(timeout: 5) { daemon.stderr.contains("syncd.started") } != nil)
        let busy = try world.boxoffice(node, ["restore", snapshot])
        #expect(busy.status == 1 && busy.stderr.contains("venue-syncd is running for"), "\(busy.stderr)")
        daemon.send(SIGTERM)
        #expect(daemon.wait() == 0)

        let restored = try world.boxoffice(node, ["restore", snapshot])
        #expect(
            restored.status == 0 && restored.stdout.contains("sells again once venue-syncd has taken back"),
            "\(restored.stderr)")
        #expect(try node.count("SELECT count(*) FROM orders") == 5)
        let refused = try world.boxoffice(
            node, ["sell", "BIG", "--category", "FLOOR", "--qty", "1", "--payment", "cash"])
        #expect(refused.status == 1 && refused.stderr.contains("restored from a snapshot"), "\(refused.stderr)")
        let waiting = try world.boxoffice(node, ["status", "--json"])
        #expect(waiting.stdout.contains("\"recovery_pending_since\""))

        let sync = try world.syncOnce(node)
        #expect(sync.status == 0, "\(sync.stderr)")
        #expect(sync.stderr.contains("sync.taken_back"))
        #expect(
            try node.orders() == central, "the node took back every order, ticket, refund and check-in central holds")
        #expect(try node.inventoryViolations().isEmpty)
        #expect(throws: TicketingError.self) { try node.sell("SEATED", "MAIN", .seats(["MAIN-A-1"])) }
        let replay = try node.node.sales.sell(keyed, by: node.admin)
        #expect(replay.replayed && replay.orderID == kept.orderID)
        #expect(try node.node.sync.status().epoch == 2 && node.node.sync.status().recoveryPendingSince == nil)

        for _ in 0..<3 { try node.sell("BIG", "FLOOR") }
        #expect(try world.syncOnce(node).status == 0)
        #expect(try world.centralOrders(node: "NODE-A") == node.orders())
        #expect(try node.orders().count == 16)
        try expectSequencesAgree(world, node, "after the restore")
        #expect(try world.central.scalar("SELECT epoch FROM node WHERE id = 'NODE-A'") == 2)
        let reconcile = try world.central(["reconcile"])
        #expect(reconcile.status == 0, "\(reconcile.stdout)")
    }

    /// Sales made while central was unreachable, then a restore of an older snapshot: the
    /// replaced database still holds them, central never had them, and the take-back brings back
    /// only what central holds. The restore carries them over after the take-back, in order, as
    /// new records of the new epoch: every sale with a receipt ends on the node and at central.
    @Test func aRestoreCarriesOverWhatCentralNeverAcknowledged() throws {
        let world = try SyncWorld()
        let node = try world.makeNode("NODE-A")
        #expect(try world.syncOnce(node).status == 0)
        for _ in 0..<3 { try node.sell("BIG", "FLOOR") }
        #expect(try world.syncOnce(node).status == 0)
        let snapshot = world.directory.file("old.sqlite")
        #expect(try world.boxoffice(node, ["backup", snapshot]).status == 0)
        var receipts = [Receipt]()
        for _ in 0..<4 { receipts.append(try node.sell("BIG", "FLOOR", .quantity(2))) }
        let seated = try node.sell("SEATED", "MAIN", .seats(["MAIN-A-1"]))
        #expect(try world.syncOnce(node).status == 0)

        // Central goes away; the node sells on, refunds and checks in, and prints every receipt.
        let down = try world.syncOnce(node, ["--central", "mysql://venue_app@127.0.0.1:1/central"])
        #expect(down.status == 75, "\(down.stderr)")
        var unpushed = [Receipt]()
        for _ in 0..<5 { unpushed.append(try node.sell("BIG", "FLOOR")) }
        unpushed.append(try node.sell("SEATED", "MAIN", .seats(["MAIN-A-2", "MAIN-A-3"])))
        let refundedLater = try node.sell("BIG", "FLOOR", .quantity(3))
        unpushed.append(refundedLater)
        _ = try node.node.refunds.refund(
            orderID: refundedLater.orderID, ticketCodes: [refundedLater.tickets[0].code], reason: "one cannot come",
            by: node.admin)
        _ = try node.node.refunds.refund(
            orderID: receipts[0].orderID, ticketCodes: [receipts[0].tickets[1].code], reason: "changed plans",
            by: node.admin)
        _ = try node.node.door.checkIn(code: seated.tickets[0].code, eventID: seated.eventID, by: node.admin)
        _ = try node.node.door.checkIn(code: unpushed[0].tickets[0].code, eventID: unpushed[0].eventID, by: node.admin)
        let sold = try node.orders()
        #expect(sold.count == 3 + 5 + 7)

        let restored = try world.boxoffice(node, ["restore", snapshot])
        #expect(restored.status == 0, "\(restored.stderr)")
        #expect(
            restored.stdout.contains(
                "facts central never acknowledged (7 sales) are carried over from the replaced database once "
                    + "venue-syncd has taken back what central holds"), "\(restored.stdout)")
        #expect(try node.count("SELECT count(*) FROM orders") == 3)

        let sync = try world.syncOnce(node)
        #expect(sync.status == 0, "\(sync.stderr)")
        #expect(sync.stderr.contains("sync.taken_back") && sync.stderr.contains("not_carried_over=0"), "\(sync.stderr)")
        #expect(!sync.stderr.contains("sync.not_carried_over "), "\(sync.stderr)")
        #expect(try node.orders() == sold, "every order, ticket, refund and check-in the replaced database held")
        #expect(try world.centralOrders(node: "NODE-A") == sold, "and central holds them all")
        for receipt in receipts + unpushed + [seated] {
            #expect(sold[receipt.orderID] != nil)
        }
        #expect(try node.inventoryViolations().isEmpty)
        #expect(throws: TicketingError.self) { try node.sell("SEATED", "MAIN", .seats(["MAIN-A-2"])) }
        try node.sell("BIG", "FLOOR")
        #expect(try world.syncOnce(node).status == 0)
        #expect(try world.centralOrders(node: "NODE-A") == node.orders())
        try expectSequencesAgree(world, node, "after the carry-over")
        let reconcile = try world.central(["reconcile"])
        #expect(reconcile.status == 0, "\(reconcile.stdout)")
    }

    @Test func aCentralRestoredFromABackupGetsBackWhatItLostBothWays() throws {
        let world = try SyncWorld()
        let node = try world.makeNode("NODE-A")
        #expect(try world.syncOnce(node).status == 0)
        for _ in 0..<5 { try node.sell("BIG", "FLOOR") }
        #expect(try world.syncOnce(node).status == 0)
        let backup = world.directory.file("central.sql")
        try world.server.dump(world.databaseName, to: backup)

        for _ in 0..<10 { try node.sell("BIG", "FLOOR") }
        #expect(try world.central(["event", "close", "SMALL"]).status == 0)
        #expect(try world.syncOnce(node).status == 0)
        #expect(try node.node.catalog.event("SMALL").status == .closed)

        try world.server.load(world.databaseName, from: backup)
        // Central lost 10 sales and a change; its next change takes the lost change's number.
        let allocate = try world.central([
            "allocate", "BIG", "--category", "FLOOR", "--node", "NODE-A", "--quota", "11000",
        ])
        #expect(allocate.status == 0, "\(allocate.stderr)")
        for _ in 0..<5 { try node.sell("BIG", "FLOOR") }
        let sync = try world.syncOnce(node)
        #expect(sync.status == 0, "\(sync.stderr)")
        #expect(sync.stderr.contains("push.resend") && sync.stderr.contains("pull.rewound"))
        #expect(
            try node.count("SELECT quota FROM allocation WHERE event_id = 'BIG'") == 11000,
            "the change numbered like the lost one applied")
        #expect(try world.centralOrders(node: "NODE-A") == node.orders())
        #expect(try node.orders().count == 20)
        try expectSequencesAgree(world, node, "after central's restore")
        let nodes = try NodesReport(connection: world.central).nodes(now: world.clock.now())
        #expect(nodes.first?.acknowledgedSeq == nodes.first?.recordsApplied)
    }

    @Test func aDatabaseCopiedBackByHandIsNoticedAndItsLostSalesTakenBack() throws {
        let world = try SyncWorld()
        var node: SyncNode? = try world.makeNode("NODE-A")
        let path = node!.path
        #expect(try world.syncOnce(node!).status == 0)
        for _ in 0..<3 { try node!.sell("BIG", "FLOOR") }
        #expect(try world.syncOnce(node!).status == 0)
        let copy = world.directory.file("copy.sqlite")
        try node!.node.database.backup(to: copy)
        for _ in 0..<4 { try node!.sell("BIG", "FLOOR") }
        #expect(try world.syncOnce(node!).status == 0)
        let central = try world.centralOrders(node: "NODE-A")

        node = nil
        for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
        try FileManager.default.copyItem(atPath: copy, toPath: path)
        node = try SyncNode(path: path, options: NodeOptions())
        for _ in 0..<2 { try node!.sell("BIG", "FLOOR") }
        let sync = try world.syncOnce(node!)
        #expect(sync.status == 0, "\(sync.stderr)")
        #expect(sync.stderr.contains("push.diverged") && sync.stderr.contains("sync.taken_back"))
        #expect(try node!.orders().count == 9)
        #expect(try world.centralOrders(node: "NODE-A") == node!.orders())
        let now = try node!.orders()
        #expect(
            central.allSatisfy { id, described in now[id] == described }, "every order sold before the copy came back")
        try expectSequencesAgree(world, node!, "after the hand copy")
        #expect(try node!.inventoryViolations().isEmpty)
    }
}
