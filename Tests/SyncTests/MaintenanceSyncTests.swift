import Foundation
import TestSupport
import Testing

/// Head office's maintenance switch, through the real `central`, `venue-syncd` and `boxoffice`.
@Suite struct MaintenanceSyncTests {
    static let sell = ["sell", "BIG", "--category", "FLOOR", "--qty", "1", "--payment", "cash"]

    @Test func headOfficeMaintenanceReachesNodesByPullWhileTheDaemonKeepsSyncing() throws {
        let world = try SyncWorld()
        let a = try world.makeNode("NODE-A")
        let b = try world.makeNode("NODE-B")
        #expect(try world.syncOnce(a).status == 0 && world.syncOnce(b).status == 0)

        #expect(try world.central(["maintenance", "on", "--reason", "x"]).status == 2)
        #expect(try world.central(["maintenance", "on", "--all", "--node", "NODE-A", "--reason", "x"]).status == 2)
        #expect(try world.central(["maintenance", "on", "--all"]).status == 2)
        let on = try world.central(["maintenance", "on", "--all", "--reason", "upgrade to v2"])
        #expect(on.status == 0 && on.stdout.hasPrefix("Maintenance on for every node"), "\(on.stderr)")
        #expect(try world.central(["maintenance", "off", "--node", "NODE-B", "--reason", "B first"]).status == 0)

        let before = try a.sell("BIG", "FLOOR")
        #expect(try world.syncOnce(a).status == 0)
        let refused = try world.boxoffice(a, Self.sell)
        #expect(refused.status == 7, "\(refused.stderr)")
        #expect(refused.stderr.contains("in maintenance (by head office: upgrade to v2)"))
        let code = try #require(before.tickets.first?.code)
        #expect(try world.boxoffice(a, ["checkin", code, "--event", "BIG"]).status == 0)
        #expect(try world.syncOnce(a).status == 0, "the daemon keeps pushing and pulling in maintenance")
        #expect(try world.centralOrders(node: "NODE-A") == a.orders())
        #expect(try world.central.scalar("SELECT status FROM ticket WHERE code = ?", [code]) == "checked_in")
        #expect(
            try world.boxoffice(a, ["maintenance", "off"]).stdout.contains("by head office"),
            "head office's switch stays")

        #expect(try world.syncOnce(b).status == 0)
        #expect(try world.boxoffice(b, Self.sell).status == 0, "the later instruction for NODE-B wins")

        let status = try world.central(["maintenance", "status"])
        #expect(status.stdout.contains("upgrade to v2") && status.stdout.contains("B first"))
        #expect(try world.central(["maintenance", "off", "--all"]).status == 0)
        #expect(try world.syncOnce(a).status == 0)
        #expect(try world.boxoffice(a, Self.sell).status == 0)
        #expect(
            try a.count("SELECT count(*) FROM audit_log WHERE action IN ('maintenance.on', 'maintenance.off')") == 2)
    }
}
