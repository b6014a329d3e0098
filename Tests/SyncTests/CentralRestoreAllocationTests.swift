import Central
import Foundation
import MySQLClient
import SyncWire
import TestSupport
import Testing

@testable import Ticketing

/// Allocations across a central restored from a backup: a proposal made after the restore never
/// takes a version the node saw before it, and the node's old answer, sent again, names what it
/// took and so cannot put the new proposal in force; central adopts the allocation the node sells
/// under when the restore lost it, and a version handed out again (central's clock behind) is
/// answered, not ignored.
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

    /// Central's allocation and the node's, side by side.
    private func allocations(_ world: SyncWorld, _ node: SyncNode, connection: MySQLConnection? = nil) throws -> (
        central: AllocationView, node: [Int]
    ) {
        let central = try #require(
            try CentralAllocations(connection: connection ?? world.central).list(eventID: "BIG").first {
                $0.nodeID == "NODE-A"
            })
        let row = try #require(
            try node.node.database.row("SELECT quota, central_version FROM allocation WHERE event_id = 'BIG'"))
        return (central, [try row.get("quota"), try row.get("central_version")])
    }

    private func allocate(_ world: SyncWorld, _ quota: Int) throws -> ProcessResult {
        let result = try world.central(
            ["allocate", "BIG", "--category", "FLOOR", "--node", "NODE-A", "--quota", String(quota)])
        #expect(result.status == 0, "\(result.stderr)")
        return result
    }

    /// Central restored from a dump made before an allocation the node accepted holds the older
    /// allocation in force: asked for that one again, it sees nothing to change. The node's answer,
    /// sent again, carries what it sells under, and central adopts it: both agree, and the next
    /// allocation reaches the node.
    @Test func aCentralRestoredBeforeAnAcceptedAllocationAdoptsTheNodes() throws {
        let world = try SyncWorld()
        let node = try world.makeNode("NODE-A")
        #expect(try world.syncOnce(node).status == 0)
        let backup = world.directory.file("central.sql")
        try world.server.dump(world.databaseName, to: backup)
        _ = try allocate(world, 11000)
        #expect(try world.syncOnce(node).status == 0)
        let accepted = try allocations(world, node)
        #expect(accepted.central.quota == 11000 && accepted.node == [11000, accepted.central.version])

        try world.server.load(world.databaseName, from: backup)
        #expect(try allocations(world, node).central.quota == 12000)
        _ = try allocate(world, 12000)  // central sees nothing to change
        let sync = try world.syncOnce(node)
        #expect(sync.status == 0 && sync.stderr.contains("push.resend"), "\(sync.stderr)")
        let adopted = try allocations(world, node)
        #expect(
            adopted.central.quota == 11000 && adopted.central.version == accepted.central.version
                && adopted.node == [11000, accepted.central.version],
            "central adopted what the node sells under: \(adopted)")

        _ = try allocate(world, 12000)
        #expect(try world.syncOnce(node).status == 0)
        let after = try allocations(world, node)
        #expect(
            after.central.quota == 12000 && after.central.proposalStatus == .accepted
                && after.central.version > accepted.central.version && after.node == [12000, after.central.version],
            "\(after)")
        #expect(try node.inventoryViolations().isEmpty)
    }

    /// Central restored from a backup with its clock behind the time it made the node's allocation
    /// (every session of the application's account an hour behind, through the server's
    /// `init_connect`: a clock step under a running MariaDB stops InnoDB) hands out a version below
    /// the one in force at the node. The node answers it (refused, naming its version in force)
    /// instead of ignoring it, central adopts the node's allocation, and numbers the next proposal
    /// above it.
    @Test func aVersionHandedOutAgainWithCentralsClockBehindIsAnsweredAndCentralCatchesUp() throws {
        let world = try SyncWorld(privateServer: true)
        let node = try world.makeNode("NODE-A")
        #expect(try world.syncOnce(node).status == 0)
        let backup = world.directory.file("central.sql")
        try world.server.dump(world.databaseName, to: backup)
        _ = try allocate(world, 11000)
        #expect(try world.syncOnce(node).status == 0)
        let accepted = try allocations(world, node)
        #expect(accepted.node == [11000, accepted.central.version])

        try world.server.load(world.databaseName, from: backup)
        try world.server.sql("SET GLOBAL init_connect = 'SET timestamp = UNIX_TIMESTAMP(NOW(6)) - 3600'")
        let central = try MySQLConnection(try world.configuration)
        let behind = try #require(try central.scalar("SELECT UNIX_TIMESTAMP(NOW(3)) * 1000", as: Double.self))
        #expect(Int64(behind) < accepted.central.version - 3_000_000, "central's clock is an hour behind")
        _ = try allocate(world, 10500)
        let reissued = try #require(try allocations(world, node, connection: central).central.proposedVersion)
        #expect(reissued < accepted.central.version, "central's clock is behind the version in force at the node")

        #expect(try world.syncOnce(node).status == 0)
        let answered = try allocations(world, node, connection: central)
        #expect(answered.node == [11000, accepted.central.version], "the node keeps its allocation")
        #expect(
            answered.central.proposalStatus == .rejected
                && answered.central.proposalError?.contains("at or below v\(accepted.central.version)") == true,
            "the node answered the proposal: \(answered.central)")
        #expect(answered.central.quota == 11000 && answered.central.version == accepted.central.version)

        _ = try allocate(world, 10500)
        #expect(try world.syncOnce(node).status == 0)
        let after = try allocations(world, node, connection: central)
        #expect(
            after.central.quota == 10500 && after.central.proposalStatus == .accepted
                && after.central.version > accepted.central.version && after.node == [10500, after.central.version],
            "\(after)")
    }
}
