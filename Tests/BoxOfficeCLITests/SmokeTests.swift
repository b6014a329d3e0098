import EdgeStore
import Foundation
import TestSupport
import Testing

/// `boxoffice smoke` as the deployment plan runs it: in maintenance, before traffic opens.
@Suite struct SmokeTests {
    @Test func everyStepPassesAndTheDatabaseIsLeftByteForByteAsItWas() throws {
        let node = try CLINode()
        try node.expectSuccess(["sell", "SHOW", "--category", "GA", "--qty", "2", "--payment", "cash"])
        try node.expectSuccess(["maintenance", "on", "--reason", "deployment"])
        let before = try node.dump()
        let smoke = try node.expectSuccess(["smoke"])
        let lines = smoke.stdout.split(separator: "\n")
        #expect(
            lines.map { $0.split(separator: " ").prefix(3).joined(separator: " ") } == [
                "PASS event scratch", "PASS hold held", "PASS sale order", "PASS notification order",
                "PASS refund ticket", "PASS check-in ticket", "PASS nothing kept",
            ], "\(smoke.stdout)")
        #expect(try node.dump() == before)
        #expect(try node.run(["sell", "SHOW", "--category", "GA", "--qty", "1", "--payment", "cash"]).status == 7)

        let json = try node.json(["smoke"])
        #expect((json["steps"] as? [[String: Any]])?.count == 7)
        #expect(try node.cashier(["smoke"]).status == 5)
        #expect(try node.dump() == before)
    }

    /// A node whose sale path is broken (here a trigger refuses every notification the sale
    /// queues) fails at that step, skips the rest, exits 1 and still keeps nothing.
    @Test func aBrokenStepFailsTheRunAndTheRestIsSkipped() throws {
        let node = try CLINode()
        try EdgeStore.Database(path: node.database).execute(
            "CREATE TRIGGER broken BEFORE INSERT ON notification BEGIN SELECT RAISE(ABORT, 'mail queue broken'); END")
        let before = try node.dump()
        let smoke = try node.run(["smoke"])
        #expect(smoke.status == 1 && smoke.stderr == "Error: smoke test failed at 'sale'\n")
        #expect(smoke.stdout.contains("FAIL  sale") && smoke.stdout.contains("mail queue broken"))
        #expect(smoke.stdout.contains("SKIP  refund") && smoke.stdout.contains("PASS  nothing kept"))
        #expect(try node.dump() == before)
    }
}
