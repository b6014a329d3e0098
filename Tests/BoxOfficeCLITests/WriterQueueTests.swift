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
        let turn = holder.tickets.serving
        // A seller waits in line once one of its threads sleeps in futex(2) on its ticket's bell
        // (after it wrote down who holds the ticket).
        func waitsInLine(_ seller: BackgroundProcess, ticket: UInt32) -> Bool {
            let bell = WriterTurnstile.bellOffset(of: ticket)
            let waits = waitUntil(timeout: 30) {
                !seller.isRunning
                    || ThreadState.sleepsInFutex(seller.pid, onFile: node.database + "-writer", offset: bell)
            }
            return waits != nil && seller.isRunning
        }
        let doomed = try BackgroundProcess(
            CLINode.binary, sale, environment: environment, logDirectory: node.directory.path)
        #expect(waitsInLine(doomed, ticket: turn &+ 1), "the seller never queued: \(doomed.stderr)")
        doomed.send(SIGKILL)
        #expect(doomed.wait() == SIGKILL)
        let next = try BackgroundProcess(
            CLINode.binary, sale, environment: environment, logDirectory: node.directory.path)
        #expect(waitsInLine(next, ticket: turn &+ 2), "the next seller never queued: \(next.stderr)")
        holder.leave()
        // The dead seller's turn is passed over once the next seller sees its process gone, not
        // after the turn sat unused for passUnusedAfter.
        let served = waitUntil(timeout: 30, every: 0.001) {
            Int32(bitPattern: holder.tickets.serving &- (turn &+ 2)) >= 0
        }
        #expect(next.wait() == 0, "\(next.stderr)")
        #expect(
            served.map { $0 < Double(WriterTurnstile.passUnusedAfter) / 1e9 } == true,
            "waited \(served ?? -1) s for the dead ticket")
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
