import Foundation
import TestSupport
import Testing

/// `boxoffice health` as a monitoring script runs it.
@Suite struct HealthCommandTests {
    @Test func upIsZeroAndEveryReasonNotToSellIsOne() throws {
        let node = try CLINode()
        let up = try node.expectSuccess(["health"])
        #expect(up.stdout.hasPrefix("UP\n") && up.stdout.contains("UP            db  database=SQLite nodeId=TEST-1"))
        let document = try node.json(["health"])
        #expect(document["status"] as? String == "UP")
        let components = try #require(document["components"] as? [String: Any])
        #expect(Set(components.keys) == ["central", "db", "diskSpace", "outbox", "sales", "sync"])

        let full = try node.run(["health", "--min-free-mb", "10000000"])
        #expect(
            full.status == 1 && full.stdout.contains("DOWN          diskSpace")
                && full.stderr == "Error: the node is DOWN\n")
        try node.expectSuccess(["maintenance", "on", "--reason", "upgrade"])
        let maintenance = try node.run(["health", "--json"])
        #expect(maintenance.status == 1 && maintenance.stdout.contains("\"status\":\"OUT_OF_SERVICE\""))
        let missing = try node.run(["health", "--db", node.directory.file("nowhere.sqlite")])
        #expect(missing.status == 1 && missing.stdout.contains("DOWN          db  error=no node database at"))
        #expect(!FileManager.default.fileExists(atPath: node.directory.file("nowhere.sqlite")))
    }

    /// A node without its ticket signing key sells nothing: `sales` is DOWN, saying why, until an
    /// admin makes a new key.
    @Test func aNodeWithoutItsSigningKeyIsDown() throws {
        let node = try CLINode()
        try FileManager.default.removeItem(atPath: node.database + ".ticket-key")
        let down = try node.run(["health"])
        #expect(
            down.status == 1 && down.stdout.contains("DOWN          sales  signingKey=there is no ticket signing key"))
        let sale = try node.cashier(["sell", "SHOW", "--category", "GA", "--qty", "1", "--payment", "cash"])
        #expect(sale.status == 1 && sale.stderr.contains("an admin makes a new key with 'boxoffice keys rotate'"))
        try node.expectSuccess(["keys", "rotate"])
        try node.expectSuccess(["health"])
    }
}
