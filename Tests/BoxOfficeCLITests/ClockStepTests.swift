import Foundation
import TestSupport
import Testing

@testable import EdgeStore

#if canImport(Glibc)
    import Glibc
#endif

/// `boxoffice` whose wall clock steps between commands (``SteppedClock``), as NTP correcting a bad
/// clock would: a hold lives its time to live on the boot clock, not an hour more or less.
@Suite struct HoldClockStepTests {
    @Test func aHoldExpiresAfterItsTimeWhenTheClockStepsBack() throws {
        let node = try CLINode()
        let clock = try SteppedClock(directory: node.directory.path)
        let environment = node.environment(session: node.cashierSession).merging(clock.environment) { $1 }
        func boxoffice(_ arguments: [String]) throws -> ProcessResult {
            try ProcessRunner.run(CLINode.binary, arguments, environment: environment)
        }
        func held() throws -> Int? {
            let result = try boxoffice(["availability", "SHOW", "--json"])
            let document = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any]
            let categories = document?["categories"] as? [[String: Any]]
            return categories?.first { $0["code"] as? String == "GA" }?["held"] as? Int
        }
        let hold = try boxoffice(["hold", "SHOW", "--category", "GA", "--qty", "2", "--ttl", "2s"])
        #expect(hold.status == 0, "\(hold.stderr)")
        try clock.set(offset: -3600)
        #expect(
            try waitUntil(timeout: 30) { try held() == 0 } != nil,
            "a 2-second hold outlived its time by the clock's step back")

        let kept = try boxoffice(["hold", "SHOW", "--category", "GA", "--qty", "3", "--ttl", "10m"])
        #expect(kept.status == 0, "\(kept.stderr)")
        try clock.set(offset: 3600)
        #expect(try held() == 3, "the clock's step forward ended a 10-minute hold")
        #expect(try node.inventoryViolations().isEmpty)
    }
}

/// `boxoffice` whose wall clock NTP steps forward after the cashier logged in (the till booted
/// with its clock two days behind): her session, kept on the boot clock, still sells, command
/// after command, each its own process.
@Suite struct SessionClockStepTests {
    @Test func aStepForwardOfTheClockLeavesTheSessionOpen() throws {
        let node = try CLINode()
        let clock = try SteppedClock(directory: node.directory.path)
        let session = node.directory.file("stepped.session")
        let environment = node.environment(session: session).merging(clock.environment) { $1 }
        func boxoffice(_ arguments: [String], stdin: String? = nil) throws -> ProcessResult {
            try ProcessRunner.run(CLINode.binary, arguments, stdin: stdin, environment: environment)
        }
        try clock.set(offset: -2 * 86400)
        #expect(try boxoffice(["login", "cal"], stdin: "cal-password\n").status == 0)
        try clock.set(offset: 0)
        for _ in 0..<2 {
            let sale = try boxoffice(["sell", "SHOW", "--category", "GA", "--qty", "1", "--payment", "cash"])
            #expect(sale.status == 0, "the step forward ended the session: \(sale.stderr)")
        }
    }
}

/// The writer queue's turn waited for on the monotonic clock. A writer whose turn came while
/// another still holds its lock (here a process hung in its turn, SQLite's lock taken too, so
/// nobody may go by it) waits for it until its busy timeout. Its wall clock here is an hour
/// behind the kernel's, which is what a step forward of an hour during the wait looks like to a
/// deadline on the wall clock: it would have passed at once.
@Suite struct WriterClockStepTests {
    @Test func aWriterWaitsForTheTurnsLockWhateverTheWallClockSays() throws {
        let node = try CLINode()
        let clock = try SteppedClock(directory: node.directory.path)
        try clock.set(offset: -3600)
        let writer = node.database + "-writer"
        let queue = try #require(WriterTurnstile(databasePath: node.database))
        let helpers = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().path
        let holder = try BackgroundProcess(
            "/usr/bin/python3", [helpers + "/Helpers/hold-writer-turn.py", "--lock", writer, node.database],
            logDirectory: node.directory.path)
        #expect(waitUntil(timeout: 30) { holder.stderr.contains("held") } != nil, "\(holder.stderr)")
        let seller = try BackgroundProcess(
            CLINode.binary, ["sell", "SHOW", "--category", "GA", "--qty", "1", "--payment", "cash"],
            environment: node.environment(session: node.cashierSession).merging(clock.environment) { $1 },
            logDirectory: node.directory.path)
        // It waits for the lock once one of its threads sleeps in futex(2) on its ticket's bell,
        // with its ticket served.
        let bell = WriterTurnstile.bellOffset(of: queue.tickets.serving)
        let waits = waitUntil(timeout: 10) {
            !seller.isRunning
                || (queue.tickets.next != queue.tickets.serving
                    && ThreadState.sleepsInFutex(seller.pid, onFile: writer, offset: bell))
        }
        let stillWaiting = seller.isRunning
        holder.send(SIGKILL)
        holder.wait()
        #expect(waits != nil && stillWaiting, "the seller gave up on the turn at once: \(seller.stderr)")
        #expect(seller.wait() == 0, "\(seller.stderr)")
        #expect(try node.count("SELECT count(*) FROM orders") == 1)
    }
}
