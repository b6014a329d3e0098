import Central
import Foundation
import MySQLClient
import SyncWire
import TestSupport
import Testing

@testable import Ticketing

/// Event statuses between central and two nodes: what central decides reaches every node and is
/// never reported back, a node's own change applies over the version it was made over only,
/// and the change log stops growing once every node has pulled.
@Suite struct EventStatusTests {
    @Test func statusChangesCrossOnceAndTheChangeLogStopsGrowing() throws {
        let world = try SyncWorld()
        let a = try world.makeNode("NODE-A")
        let b = try world.makeNode("NODE-B")
        func round() throws {
            for node in [a, b] {
                let sync = try world.syncOnce(node)
                #expect(sync.status == 0, "\(sync.stderr)")
            }
        }
        // The doors' changes (keys, refunded tickets) are other facts, told once each.
        func newestChange() throws -> Int64 {
            try world.central.scalar(
                "SELECT MAX(seq) FROM change_log WHERE change_type NOT LIKE 'door.%' AND change_type <> 'signing_key'")
                ?? 0
        }
        func statuses() throws -> [EventStatus] {
            [
                try #require(
                    try world.central.scalar("SELECT status FROM event WHERE id = 'SMALL'", as: EventStatus.self)),
                try a.node.catalog.event("SMALL").status, try b.node.catalog.event("SMALL").status,
            ]
        }
        func central(_ arguments: [String]) throws {
            let result = try world.central(arguments)
            #expect(result.status == 0, "\(result.stderr)")
        }
        try round()

        // Central closes and reopens before either node pulls: each node applies both and
        // reports neither back.
        try central(["event", "close", "SMALL"])
        try central(["event", "reopen", "SMALL"])
        let decided = try newestChange()
        try round()
        #expect(try newestChange() == decided, "no node echoed central's changes")
        try round()
        #expect(try newestChange() == decided)
        #expect(try statuses() == [.onSale, .onSale, .onSale])
        try a.sell("SMALL", "GA")
        try b.sell("SMALL", "GA")

        // A node's own change goes to central once and from there to the other node, once.
        let close = try world.boxoffice(a, ["event", "close", "SMALL"])
        #expect(close.status == 0, "\(close.stderr)")
        try round()
        try round()
        #expect(try newestChange() == decided + 1)
        #expect(try statuses() == [.closed, .closed, .closed])

        // A node's change over a version central has moved past does not undo central's decision.
        try central(["event", "reopen", "SMALL"])
        #expect(try world.syncOnce(a).status == 0)
        let stale = try world.boxoffice(b, ["event", "reopen", "SMALL"])  // B has not pulled the reopen
        #expect(stale.status == 0, "\(stale.stderr)")
        try central(["event", "close", "SMALL"])
        let settled = try newestChange()
        try round()
        try round()
        #expect(try newestChange() == settled, "B's reopen was made over an older version: central's close stands")
        #expect(try statuses() == [.closed, .closed, .closed])

        // A cancellation reaches both nodes, each queues its refunds, and nothing comes back.
        try central(["event", "cancel", "SMALL", "--reason", "storm"])
        let cancelled = try newestChange()
        try round()
        try round()
        #expect(try newestChange() == cancelled)
        #expect(try statuses() == [.cancelled, .cancelled, .cancelled])
        #expect(try world.central.scalar("SELECT COUNT(*) FROM refund WHERE origin = 'event_cancelled'") == 2)
        #expect(try world.central.scalar("SELECT COUNT(*) FROM change_log WHERE change_type = 'event.status'") == 6)
    }

    /// Central restored from a backup is behind the nodes: its status version went back. A node's
    /// change made over the newer version the nodes hold (`from_version` above central's) is no
    /// crossing — central lost that history, no one changed the status since — so central takes
    /// it, under a version above the node's, and every node follows.
    @Test func aNodeChangeOverAVersionCentralLostToARestoreIsTaken() throws {
        let world = try SyncWorld()
        let a = try world.makeNode("NODE-A")
        let b = try world.makeNode("NODE-B")
        func round() throws {
            for node in [a, b] {
                let sync = try world.syncOnce(node)
                #expect(sync.status == 0, "\(sync.stderr)")
            }
        }
        func central(_ arguments: [String]) throws {
            let result = try world.central(arguments)
            #expect(result.status == 0, "\(result.stderr)")
        }
        func statuses() throws -> [EventStatus] {
            [
                try #require(
                    try world.central.scalar("SELECT status FROM event WHERE id = 'SMALL'", as: EventStatus.self)),
                try a.node.catalog.event("SMALL").status, try b.node.catalog.event("SMALL").status,
            ]
        }
        try round()
        let backup = world.directory.file("central.sql")
        try world.server.dump(world.databaseName, to: backup)
        try central(["event", "close", "SMALL"])
        try central(["event", "reopen", "SMALL"])
        try round()
        let held = try a.node.catalog.centralStatusVersion("SMALL")
        try world.server.load(world.databaseName, from: backup)
        let restored: Int64 = try #require(
            try world.central.scalar("SELECT status_version FROM event WHERE id = 'SMALL'"))
        #expect(restored < held, "the restore took central's status version back")

        let close = try world.boxoffice(a, ["event", "close", "SMALL"])
        #expect(close.status == 0, "\(close.stderr)")
        try round()
        try round()
        #expect(try statuses() == [.closed, .closed, .closed], "central took A's close over the version it lost")
        let now: Int64 = try #require(
            try world.central.scalar("SELECT status_version FROM event WHERE id = 'SMALL'"))
        #expect(try now > held && a.node.catalog.centralStatusVersion("SMALL") == now)
        #expect(try b.node.catalog.centralStatusVersion("SMALL") == now)
    }

    /// A change in central's log whose version no central can have made by then (a row edited by
    /// hand, an overflow) is parked at the node with its reason, and moves no version there: the
    /// genuine changes after it still apply.
    @Test func aVersionBeyondCentralsClockIsParkedAndHidesNoGenuineChange() throws {
        let world = try SyncWorld()
        let node = try world.makeNode("NODE-A")
        #expect(try world.syncOnce(node).status == 0)
        let poison = CentralVersion.maximum - 1
        let feed = ChangeFeed(connection: world.central)
        try world.central.transaction {
            try feed.append(
                .eventStatus, entityID: "SMALL", node: nil,
                payload: try JSONText.encode(
                    EventStatusChange(eventID: "SMALL", status: .closed, reason: nil, version: poison)),
                now: world.clock.now())
            try feed.append(
                .allocationProposed, entityID: "SMALL/GA", node: "NODE-A",
                payload: try JSONText.encode(
                    AllocationProposal(
                        eventID: "SMALL", categoryCode: "GA", nodeID: "NODE-A", version: Int(poison), quota: 50,
                        seats: nil)),
                now: world.clock.now())
        }
        for arguments in [
            ["event", "close", "SMALL"], ["event", "reopen", "SMALL"],
            ["allocate", "SMALL", "--category", "GA", "--node", "NODE-A", "--quota", "55"],
        ] {
            let result = try world.central(arguments)
            #expect(result.status == 0, "\(result.stderr)")
        }
        let sync = try world.syncOnce(node)
        #expect(sync.status == 0, "\(sync.stderr)")
        let status: Int64 = try #require(
            try world.central.scalar("SELECT status_version FROM event WHERE id = 'SMALL'"))
        #expect(try node.node.catalog.event("SMALL").status == .onSale, "central's reopen applied")
        #expect(try node.node.catalog.centralStatusVersion("SMALL") == status)
        let allocation = try #require(
            try CentralAllocations(connection: world.central).list(eventID: "SMALL").first { $0.nodeID == "NODE-A" })
        #expect(allocation.quota == 55 && allocation.proposalStatus == .accepted, "\(allocation)")
        #expect(
            try node.count("SELECT central_version FROM allocation WHERE event_id = 'SMALL'") == allocation.version
                && node.count("SELECT quota FROM allocation WHERE event_id = 'SMALL'") == 55)
        let parked = try world.boxoffice(node, ["sync", "parked"])
        #expect(parked.status == 0, "\(parked.stderr)")
        #expect(
            parked.stdout.components(separatedBy: "beyond central's clock when it published the change").count == 3,
            "\(parked.stdout)")
    }
}
