import Foundation
import TestSupport
import Testing

@testable import EdgeStore

#if canImport(Glibc)
    import Glibc
#endif

/// The writer queue with real processes: a `boxoffice sell` killed while it waits its turn
/// leaves a ticket nobody will take, and the sellers behind it are served anyway, at once (its
/// process is gone), not after the turn has sat unused for a second.
@Suite struct WriterQueueTests {
    @Test func aSellerKilledWhileQueuedDoesNotStallTheOthers() throws {
        let node = try CLINode()
        let sale = ["sell", "SHOW", "--category", "GA", "--qty", "1", "--payment", "cash"]
        let environment = node.environment(session: node.cashierSession)
        let holder = try #require(WriterTurnstile(databasePath: node.database))
        guard case .turn = holder.enter(timeout: 5) else {
            Issue.record("the turn did not come")
            return
        }
        let doomed = try BackgroundProcess(
            CLINode.binary, sale, environment: environment, logDirectory: node.directory.path)
        Thread.sleep(forTimeInterval: 0.5)  // it has opened the node and waits for its turn
        doomed.send(SIGKILL)
        #expect(doomed.wait() == SIGKILL)
        let next = try BackgroundProcess(
            CLINode.binary, sale, environment: environment, logDirectory: node.directory.path)
        Thread.sleep(forTimeInterval: 0.5)  // queued behind the dead seller's ticket
        let released = Date()
        holder.leave()
        #expect(next.wait() == 0, "\(next.stderr)")
        let served = Date().timeIntervalSince(released)
        #expect(served < Double(WriterTurnstile.passUnusedAfter) / 1e9, "waited \(served) s for the dead ticket")
        #expect(try node.count("SELECT count(*) FROM orders") == 1)
        #expect(try node.inventoryViolations().isEmpty)
    }
}
