import EdgeStore
import Foundation
import TestSupport
import Testing

/// `boxoffice restore` while a cashier goes on selling at the counter (the daemon stopped, as a
/// restore requires): every sale that printed a receipt is in the restored database.
@Suite struct RestoreWhileSellingTests {
    static let sale = ["sell", "SHOW", "--category", "GA", "--qty", "1", "--payment", "cash", "--json"]

    /// The restore is stopped once it has kept its copy of the database it replaces (its second
    /// rename; the first puts the snapshot's copy in place) and before it replaces it. A sale
    /// made then waits for the restore and goes into the restored database: it is neither left
    /// in the replaced file alone nor lost between the files.
    @Test func aSaleMadeWhileTheDatabaseIsReplacedGoesIntoTheRestoredOne() throws {
        let node = try CLINode()
        let snapshot = node.directory.file("snapshot.sqlite")
        try node.expectSuccess(["backup", snapshot])
        let before = try Self.orderID(node.cashier(Self.sale).stdout)

        let restore = try SyscallStop(
            CLINode.binary, ["restore", snapshot], at: "rename", occurrence: 2, environment: node.environment(),
            in: node.directory.path)
        #expect(restore.waitUntilStopped(), "\(restore.trace)")
        #expect(restore.trace.contains(".replaced-"), "\(restore.trace)")
        let seller = try BackgroundProcess(
            CLINode.binary, Self.sale, environment: node.environment(session: node.cashierSession),
            logDirectory: node.directory.path)
        // The sale is done, or waits in the writers' queue for the restore to give its turn back.
        #expect(
            waitUntil(timeout: 60) {
                !seller.isRunning || ThreadState.sleepsInFutex(seller.pid, onFile: node.database + "-writer")
            } != nil)
        restore.resume()
        let restored = restore.wait()
        #expect(restored.status == 0, "\(restored.stderr)")
        #expect(restored.stdout.contains("Carried over 1 facts"), "\(restored.stdout)")
        #expect(seller.wait() == 0, "\(seller.stderr)")
        let during = try Self.orderID(seller.stdout)

        let database = try Database(path: node.database)
        for order in [before, during] {
            #expect(try database.scalar("SELECT count(*) FROM orders WHERE id = ?", [order]) == 1, "\(order) is lost")
        }
        #expect(try node.inventoryViolations().isEmpty)
    }

    static func orderID(_ json: String) throws -> String {
        let object = try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any]
        return try #require(object?["order_id"] as? String, "no receipt in \(json)")
    }
}
