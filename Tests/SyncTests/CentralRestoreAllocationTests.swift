import Central
import Foundation
import MySQLClient
import SyncWire
import TestSupport
import Testing

@testable import Ticketing

/// Allocations across a central restored from a backup: a proposal made after the restore never
/// takes a version the node saw before it, and the node's old answer, sent again, names what it
/// took and so cannot put the new proposal in force.
@Suite struct CentralRestoreAllocationTests {
    @Test func aCentralRestoredWithAnAllocationInFlightNeverReusesAVersion() throws {
        let world = try SyncWorld()
        let node = try world.makeNode("NODE-A")
        #expect(try world.syncOnce(node).status == 0)
        let allocations = CentralAllocations(connection: world.central)
        func atCentral() throws -> AllocationView {
            try #require(try allocations.list(eventID: "BIG").first { $0.nodeID == "NODE-A" })
        }
        func atNode() throws -> (quota: Int, version: Int) {
            let row = try #require(
                try node.node.database.row("SELECT quota, central_version FROM allocation WHERE event_id = 'BIG'"))
            return (try row.get("quota"), try row.get("central_version"))
        }
        let backup = world.directory.file("central.sql")
        try world.server.dump(world.databaseName, to: backup)

        let lost = try world.central(["allocate", "BIG", "--category", "FLOOR", "--node", "NODE-A", "--quota", "11000"])
        #expect(lost.status == 0, "\(lost.stderr)")
        #expect(try world.syncOnce(node).status == 0)
        let seen = try atNode()
        #expect(try seen.quota == 11000 && atCentral().quota == 11000 && atCentral().version == seen.version)

        try world.server.load(world.databaseName, from: backup)
        #expect(try atCentral().quota == 12000, "the restore lost the accepted 11000")
        let again = try world.central([
            "allocate", "BIG", "--category", "FLOOR", "--node", "NODE-A", "--quota", "10500",
        ])
        #expect(again.status == 0, "\(again.stderr)")
        let proposed = try #require(try atCentral().proposedVersion)
        #expect(proposed > seen.version, "a version handed out after the restore is new to the node")

        for _ in 0..<5 { try node.sell("BIG", "FLOOR") }
        let sync = try world.syncOnce(node)
        #expect(sync.status == 0, "\(sync.stderr)")
        #expect(sync.stderr.contains("push.resend"), "the node sent its old answer again: \(sync.stderr)")
        #expect(try atNode() == (10500, proposed), "the node took the new proposal")
        let central = try atCentral()
        #expect(
            central.quota == 10500 && central.version == proposed && central.proposalStatus == .accepted,
            "central put in force what the node took, not the old answer's 11000 under a reused number")
        #expect(try world.centralOrders(node: "NODE-A") == node.orders())
        let reconcile = try world.central(["reconcile"])
        #expect(reconcile.status == 0, "\(reconcile.stdout)")
    }
}
