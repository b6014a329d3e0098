import Central
import Foundation
import MySQLClient
import SyncWire
import TestSupport
import Testing

@testable import Ticketing

/// A node's successive changes of an event's status, made between two pushes, apply at central
/// in order and the last one stands everywhere; a change that crosses one made meanwhile at
/// central or at another node changes nothing; and a node is never flipped back by pulling its
/// own changes. The tools run as a venue runs them: `boxoffice event …`, `venue-syncd --once`,
/// `central event …`.
@Suite struct EventStatusChainTests {
    /// Central, nodes A and B, and event SMALL.
    final class Venue {
        let world: SyncWorld
        let a: SyncNode
        let b: SyncNode

        init() throws {
            world = try SyncWorld()
            a = try world.makeNode("NODE-A")
            b = try world.makeNode("NODE-B")
            try round()
        }

        func sync(_ node: SyncNode, _ extra: [String] = []) throws {
            let sync = try world.syncOnce(node, extra)
            #expect(sync.status == 0, "\(sync.stderr)")
        }

        /// One cycle of each node, A first.
        func round() throws {
            try sync(a)
            try sync(b)
        }

        /// `boxoffice event ACTION SMALL` at `node`.
        func change(_ node: SyncNode, _ action: String, _ extra: [String] = []) throws {
            let result = try world.boxoffice(node, ["event", action, "SMALL"] + extra)
            #expect(result.status == 0, "\(action): \(result.stderr)")
        }

        /// `central event ACTION SMALL`.
        func central(_ action: String, _ extra: [String] = []) throws {
            let result = try world.central(["event", action, "SMALL"] + extra)
            #expect(result.status == 0, "\(action): \(result.stderr)")
        }

        var centralStatus: EventStatus {
            get throws {
                try #require(
                    try world.central.scalar("SELECT status FROM event WHERE id = 'SMALL'", as: EventStatus.self))
            }
        }

        /// SMALL's status at central, at A and at B.
        func statuses() throws -> [EventStatus] {
            [try centralStatus, try a.node.catalog.event("SMALL").status, try b.node.catalog.event("SMALL").status]
        }

        func newestChange() throws -> Int64 { try world.central.scalar("SELECT MAX(seq) FROM change_log") ?? 0 }

        /// The times `node` changed SMALL's status because it pulled a change (its audit log).
        func pulledStatusChanges(_ node: SyncNode) throws -> Int {
            try node.count(
                "SELECT count(*) FROM audit_log WHERE entity_id = 'SMALL' AND action LIKE 'event.%' AND operator = 'central'"
            )
        }

        /// Two more rounds change nothing anywhere: no node echoes, no status flips.
        func expectSettled(_ expected: EventStatus, _ label: String) throws {
            try round()
            let settled = try newestChange()
            let flips = [try pulledStatusChanges(a), try pulledStatusChanges(b)]
            try round()
            try round()
            #expect(try newestChange() == settled, "\(label): the change log stops growing")
            #expect([try pulledStatusChanges(a), try pulledStatusChanges(b)] == flips, "\(label): no node flips")
            #expect(try statuses() == [expected, expected, expected], "\(label)")
        }

        /// `boxoffice sell SMALL` at `node`, one ticket for cash.
        func sell(_ node: SyncNode) throws -> ProcessResult {
            try world.boxoffice(node, ["sell", "SMALL", "--category", "GA", "--qty", "1", "--payment", "cash"])
        }
    }

    /// The defect protocol 3 had: a close and a reopen before the next sync left the event closed
    /// everywhere, because central judged the reopen against the version the close had made.
    @Test func aNodeThatClosesAndReopensBeforeItSyncsKeepsSelling() throws {
        let venue = try Venue()
        try venue.change(venue.a, "close")
        try venue.change(venue.a, "reopen")
        try venue.sync(venue.a)
        #expect(try venue.centralStatus == .onSale, "the reopen follows the close at central")
        try venue.sync(venue.a)
        #expect(try venue.a.node.catalog.event("SMALL").status == .onSale)
        #expect(try venue.pulledStatusChanges(venue.a) == 0, "A applied neither of its own changes again")
        try venue.expectSettled(.onSale, "close then reopen")
        let sale = try venue.sell(venue.a)
        #expect(sale.status == 0, "\(sale.stderr)")
        #expect(try venue.sell(venue.b).status == 0)
        try venue.sync(venue.a)
        try venue.sync(venue.b)
        #expect(try venue.world.central.scalar("SELECT COUNT(*) FROM ticket WHERE event_id = 'SMALL'") == 2)
        #expect(
            try venue.world.central.scalar("SELECT COUNT(*) FROM change_log WHERE change_type = 'event.status'") == 2)
    }

    /// Five changes while central is away, pushed one record per transaction: each applies in
    /// order and the last stands. Then a close, a sync, and a reopen before the node pulled its
    /// close back: the pulled close does not flip the node, and the reopen applies.
    @Test func aChainAppliesInOrderInOnePushAndAcrossPushes() throws {
        let venue = try Venue()
        for action in ["close", "reopen", "close", "reopen", "close"] {
            try venue.change(venue.a, action)
        }
        let before = try venue.newestChange()
        try venue.sync(venue.a, ["--batch", "1"])
        #expect(try venue.newestChange() == before + 5, "each change of the chain is published once")
        #expect(try venue.centralStatus == .closed)
        try venue.expectSettled(.closed, "a chain of five")
        #expect(try venue.pulledStatusChanges(venue.a) == 0)

        try venue.change(venue.a, "reopen")
        try venue.sync(venue.a)  // pushes the reopen
        try venue.change(venue.a, "close")  // made before A pulled its reopen back
        try venue.sync(venue.a)  // pulls the reopen, then pushes the close
        #expect(try venue.a.node.catalog.event("SMALL").status == .closed, "A's own reopen did not flip it back")
        #expect(try venue.centralStatus == .closed)
        try venue.change(venue.a, "reopen")
        try venue.sync(venue.a)
        try venue.expectSettled(.onSale, "a chain across pushes")
        #expect(try venue.pulledStatusChanges(venue.a) == 0, "A never applied its own changes again")
        #expect(try venue.sell(venue.a).status == 0)
    }

    /// Two nodes change the same event while apart. Whoever reaches central second made its
    /// change over a version central has moved past: it changes nothing, whichever node it is.
    @Test func twoNodesApartTheSecondToArriveCrossesTheFirst() throws {
        let venue = try Venue()
        try venue.change(venue.a, "close")
        try venue.change(venue.a, "reopen")
        try venue.change(venue.b, "close")
        try venue.sync(venue.a)
        try venue.sync(venue.b)
        #expect(try venue.centralStatus == .onSale, "B's close crossed A's changes")
        try venue.expectSettled(.onSale, "A first")
        #expect(try venue.pulledStatusChanges(venue.a) == 0, "A pulled only its own changes")

        try venue.change(venue.a, "close")
        try venue.change(venue.a, "reopen")
        try venue.change(venue.b, "close")
        try venue.sync(venue.b)
        try venue.sync(venue.a)
        #expect(try venue.centralStatus == .closed, "A's reopen crossed B's close")
        #expect(try venue.a.node.catalog.event("SMALL").status == .closed, "A took B's close")
        try venue.expectSettled(.closed, "B first")
    }

    /// Central reopens between two pushes of A's chain: A's later close, made over a version
    /// before central's reopen, changes nothing; central's reopen stands everywhere. The same
    /// when central closes before any of A's chain arrives.
    @Test func centralsChangeCrossingANodesChainStands() throws {
        let venue = try Venue()
        try venue.change(venue.a, "close")
        try venue.sync(venue.a)
        try venue.central("reopen")
        try venue.change(venue.a, "reopen")
        try venue.change(venue.a, "close")
        try venue.sync(venue.a)
        #expect(try venue.centralStatus == .onSale, "central's reopen stands")
        #expect(try venue.a.node.catalog.event("SMALL").status == .onSale)
        try venue.expectSettled(.onSale, "central between two pushes")

        try venue.change(venue.a, "close")
        try venue.change(venue.a, "reopen")
        try venue.central("close")
        try venue.sync(venue.a)
        #expect(try venue.centralStatus == .closed, "central's close stands")
        try venue.expectSettled(.closed, "central before the chain")
    }

    /// A cancellation is taken whatever it crosses, and nothing leaves it: B cancels over the
    /// version A's chain has moved past; A's chain made after central's cancellation changes
    /// nothing.
    @Test func aCancellationCrossingAChainIsTaken() throws {
        let venue = try Venue()
        #expect(try venue.sell(venue.a).status == 0)
        #expect(try venue.sell(venue.b).status == 0)
        try venue.change(venue.a, "close")
        try venue.change(venue.a, "reopen")
        try venue.change(venue.b, "cancel", ["--reason", "storm"])
        try venue.sync(venue.a)
        try venue.sync(venue.b)
        #expect(try venue.centralStatus == .cancelled)
        try venue.expectSettled(.cancelled, "B's cancellation")
        #expect(try venue.world.central.scalar("SELECT COUNT(*) FROM refund WHERE origin = 'event_cancelled'") == 2)
    }

    /// A node restored from a snapshot takes back its close from central and carries its reopen,
    /// which central never had, over into the new epoch: the reopen still continues the close.
    @Test func aRestoredNodeResendsTheRestOfItsChain() throws {
        let venue = try Venue()
        let snapshot = venue.world.directory.file("before-close.sqlite")
        #expect(try venue.world.boxoffice(venue.a, ["backup", snapshot]).status == 0)
        try venue.change(venue.a, "close")
        try venue.sync(venue.a)
        try venue.change(venue.a, "reopen")
        let restored = try venue.world.boxoffice(venue.a, ["restore", snapshot])
        #expect(restored.status == 0, "\(restored.stderr)")
        try venue.sync(venue.a)
        #expect(try venue.centralStatus == .onSale, "the carried-over reopen follows the taken-back close")
        #expect(try venue.a.node.catalog.event("SMALL").status == .onSale)
        try venue.expectSettled(.onSale, "after the restore")
        #expect(try venue.sell(venue.a).status == 0)
    }

    /// A node restored from a snapshot older than a change of central's pulls that change again,
    /// then its own change made after it: its own puts the status back as central holds it.
    @Test func aRestoredNodeReplaysCentralsChangeThenItsOwn() throws {
        let venue = try Venue()
        let snapshot = venue.world.directory.file("before-central-close.sqlite")
        #expect(try venue.world.boxoffice(venue.a, ["backup", snapshot]).status == 0)
        try venue.central("close")
        try venue.sync(venue.a)
        try venue.change(venue.a, "reopen")
        try venue.sync(venue.a)
        try venue.sync(venue.a)
        #expect(try venue.centralStatus == .onSale)
        let restored = try venue.world.boxoffice(venue.a, ["restore", snapshot])
        #expect(restored.status == 0, "\(restored.stderr)")
        try venue.sync(venue.a)
        #expect(try venue.a.node.catalog.event("SMALL").status == .onSale, "A's reopen follows central's close again")
        try venue.expectSettled(.onSale, "after the restore")
    }

    /// A protocol 2 node's change carries no version: central takes it over any version (as
    /// protocol 2 did) and publishes it as a change of no node's chain, so a protocol 3 node's
    /// chain made before it does not continue over it.
    @Test func aProtocol2NodesChangeIsTakenAndEndsOtherChains() throws {
        let venue = try Venue()
        try venue.change(venue.a, "close")
        try venue.change(venue.a, "reopen")
        let record = EventStatusRecord(
            eventID: "SMALL", nodeID: "NODE-P", status: .closed, reason: nil, changedAt: venue.world.clock.now(),
            actor: "sue")
        let pushed = try PushReceiver(connection: venue.world.central).apply(
            PushBatch(
                nodeID: "NODE-P", protocolVersion: 2,
                records: [
                    OutboxRecord(
                        seq: 1, type: SyncRecordType.eventStatusChanged.rawValue, entityID: "SMALL",
                        payload: try JSONText.encode(record), createdAt: venue.world.clock.now())
                ], outboxPendingAfter: 0, oldestPendingAt: nil, pullCursor: 0, sentAt: venue.world.clock.now()))
        #expect(pushed.applied == 1)
        #expect(try venue.centralStatus == .closed)
        let published = try #require(
            try venue.world.central.scalar(
                "SELECT payload FROM change_log WHERE change_type = 'event.status' ORDER BY seq DESC LIMIT 1",
                as: String.self))
        let change = try JSONSerialization.jsonObject(with: Data(published.utf8)) as! [String: Any]
        #expect(change["origin"] == nil, "\(published)")
        try venue.sync(venue.a)
        #expect(try venue.centralStatus == .closed, "A's reopen crossed the protocol 2 node's close")
        try venue.expectSettled(.closed, "protocol 2 node")
    }
}
