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

    /// A power cut while a writer has its turn: the `-writer` file the disk keeps holds the turn's
    /// mutex locked by a process that no longer exists, and no kernel remembers it. The first
    /// connection after the reboot finds nobody using the queue and starts it afresh: the next
    /// sale is sold at once, not refused as "locked by other terminals" after 10 s.
    @Test func aWriterFileLeftLockedByAPowerCutDoesNotWedgeTheSales() throws {
        let node = try CLINode()
        let writer = node.database + "-writer"
        let helpers = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().path
        let holder = try BackgroundProcess(
            "/usr/bin/python3", [helpers + "/Helpers/hold-writer-turn.py", writer], logDirectory: node.directory.path)
        #expect(waitUntil(timeout: 30) { holder.stderr.contains("held") } != nil, "\(holder.stderr)")
        let atThePowerCut = try Data(contentsOf: URL(fileURLWithPath: writer))
        holder.send(SIGKILL)
        holder.wait()
        try atThePowerCut.write(to: URL(fileURLWithPath: writer))
        try? FileManager.default.removeItem(atPath: node.database + "-shm")

        let sale = try node.cashier(["sell", "SHOW", "--category", "GA", "--qty", "1", "--payment", "cash"])
        #expect(sale.status == 0, "\(sale.stderr)")
        #expect(try node.count("SELECT count(*) FROM orders") == 1)
        let health = try node.run(["health"])
        #expect(health.status == 0, "\(health.stdout)")
    }

    /// A queue that is really wedged, its turn kept by a live process that uses it: nothing
    /// starts it afresh under that process, and `health` says DOWN (exit 1) until the turn is
    /// given back.
    @Test func healthIsDownWhileAProcessKeepsTheWritersTurn() throws {
        let node = try CLINode()
        let holder = try #require(WriterTurnstile(databasePath: node.database))
        guard case .turn = holder.enter(timeout: 5) else {
            Issue.record("the turn did not come")
            return
        }
        let wedged = try node.run(["health", "--json"])
        let sale = try node.cashier(["sell", "SHOW", "--category", "GA", "--qty", "1", "--payment", "cash", "--json"])
        holder.leave()
        #expect(wedged.status == 1, "\(wedged.stdout)")
        #expect(wedged.stdout.contains("no writer got its turn within 1.0 s"), "\(wedged.stdout)")
        #expect(sale.status == 4 && sale.stdout.contains("\"busy\""), "\(sale.stderr)")
        let health = try node.run(["health"])
        #expect(health.status == 0, "\(health.stdout)")
        #expect(try node.count("SELECT count(*) FROM orders") == 0)
    }
}
