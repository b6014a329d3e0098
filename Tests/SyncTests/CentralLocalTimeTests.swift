import Foundation
import SyncWire
import TestSupport
import Testing

/// `central nodes` and `central maintenance status` show a node's times in its venues' zone (for
/// every node, the zone all venues share); `--json` keeps UTC and names the zone.
@Suite struct CentralLocalTimeTests {
    @Test func nodesAndMaintenanceShowTheVenuesTimeAndJSONKeepsUTC() throws {
        let world = try SyncWorld()
        _ = try world.central.execute("UPDATE venue SET timezone = 'Europe/Amsterdam'")
        let node = try world.makeNode("NODE-A")
        #expect(try world.syncOnce(node).status == 0)
        func local(_ iso: Any?) throws -> String {
            try #require((iso as? String).flatMap(Timestamp.init(iso8601:)), "\(iso ?? "nil")").local(
                in: "Europe/Amsterdam")
        }

        let nodes = try #require(
            try JSONSerialization.jsonObject(with: Data(world.central(["nodes", "--json"]).stdout.utf8))
                as? [[String: Any]])
        let listed = try #require(nodes.first { $0["id"] as? String == "NODE-A" })
        #expect(listed["timezone"] as? String == "Europe/Amsterdam")
        #expect((listed["last_push_at"] as? String)?.hasSuffix("Z") == true)
        let lastPush = try local(listed["last_push_at"])
        let table = try world.central(["nodes"]).stdout
        #expect(table.contains(lastPush), "\(table)")

        #expect(try world.central(["maintenance", "on", "--all", "--reason", "upgrade"]).status == 0)
        #expect(try world.central(["maintenance", "on", "--node", "NODE-A", "--reason", "till swap"]).status == 0)
        let views = try #require(
            try JSONSerialization.jsonObject(
                with: Data(world.central(["maintenance", "status", "--json"]).stdout.utf8))
                as? [[String: Any]])
        #expect(views.count == 2 && views.allSatisfy { $0["timezone"] as? String == "Europe/Amsterdam" })
        let status = try world.central(["maintenance", "status"]).stdout
        for view in views {
            let at = try local(view["at"])
            #expect(status.contains(at), "\(status)")
        }
    }
}
