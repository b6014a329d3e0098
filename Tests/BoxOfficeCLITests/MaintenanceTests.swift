import EdgeStore
import Foundation
import TestSupport
import Testing

/// Maintenance mode through the real `boxoffice`: what waits, what keeps working, who may switch it.
@Suite struct MaintenanceTests {
    @Test func salesHoldsRefundsAndChangesWaitWithExitSevenWhileLookUpsAndCheckInWork() throws {
        let node = try CLINode()
        let sale = try node.json(["sell", "SHOW", "--category", "GA", "--qty", "2", "--payment", "cash"])
        let orderID = try #require(sale["order_id"] as? String)
        let code = try #require(((sale["tickets"] as? [[String: Any]])?.first)?["code"] as? String)
        let cashierTries = try node.cashier(["maintenance", "on", "--reason", "stock take"])
        #expect(cashierTries.status == 5)

        try node.expectSuccess(["maintenance", "on", "--reason", "stock take"])
        let dump = try node.count("SELECT count(*) FROM orders")
        let refused: [[String]] = [
            ["sell", "SHOW", "--category", "GA", "--qty", "1", "--payment", "cash"],
            ["hold", "SHOW", "--category", "GA", "--qty", "1"],
            ["refund", orderID, "--reason", "changed plans"],
            ["event", "close", "SHOW"],
            ["import", TestFixture.write(into: node.directory)],
        ]
        for arguments in refused {
            let result = try node.run(arguments)
            #expect(result.status == 7, "\(arguments.joined(separator: " ")): \(result.stderr)")
            #expect(
                result.stderr
                    == "Error: this node is in maintenance (by root here: stock take); look-ups, status and check-in still work\n"
            )
        }
        #expect(try node.count("SELECT count(*) FROM orders") == dump)
        try node.expectSuccess(["order", orderID])
        try node.expectSuccess(["lookup", orderID])
        try node.expectSuccess(["checkin", code, "--event", "SHOW"])
        #expect(try node.run(["status"]).stdout.contains("maintenance"))
        let audit = try #require(
            try Database(path: node.database).row(
                "SELECT operator, detail FROM audit_log WHERE action = 'maintenance.on'"))
        #expect(
            try audit.get("operator") == "root" && (try audit.get("detail", as: String.self)).contains("stock take"))

        let off = try node.expectSuccess(["maintenance", "off"])
        #expect(off.stdout == "Maintenance is off: the node sells.\n")
        try node.expectSuccess(["sell", "SHOW", "--category", "GA", "--qty", "1", "--payment", "cash"])
        #expect(try node.inventoryViolations().isEmpty)
    }
}
