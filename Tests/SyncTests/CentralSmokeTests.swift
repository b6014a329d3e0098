import Foundation
import TestSupport
import Testing

/// `central smoke` after a deployment.
@Suite struct CentralSmokeTests {
    @Test func passesOnAHealthyCentralAndNamesWhatIsWrongOtherwise() throws {
        let world = try SyncWorld()
        let node = try world.makeNode("NODE-A")
        #expect(try world.syncOnce(node).status == 0)
        try node.sell("BIG", "FLOOR")
        #expect(try world.syncOnce(node).status == 0)
        let healthy = try world.central(["smoke"])
        #expect(healthy.status == 0, "\(healthy.stdout)\(healthy.stderr)")
        #expect(
            healthy.stdout.split(separator: "\n").map { String($0.prefix(16)) } == [
                "PASS  schema    ", "PASS  writable  ", "PASS  writes    ", "PASS  nodes     ", "PASS  reconcile ",
            ], "\(healthy.stdout)")

        try world.central.execute("UPDATE node SET last_seen_at = NOW(3) - INTERVAL 2 HOUR WHERE id = 'NODE-A'")
        let silent = try world.central(["smoke", "--json"])
        #expect(silent.status == 1 && silent.stderr == "Error: smoke test failed: nodes\n")
        #expect(silent.stdout.contains("silent: NODE-A (72"))

        let fresh = try world.server.freshDatabase()
        let unmigrated = try ProcessRunner.run(
            ProcessRunner.product("central"), ["smoke"],
            environment: ["CENTRAL_URL": fresh, "CENTRAL_PASSWORD_FILE": world.server.passwordFile])
        #expect(
            unmigrated.status == 1 && unmigrated.stdout.hasPrefix("FAIL  schema    v0; pending: 001_nodes_and_sync"))
    }
}
