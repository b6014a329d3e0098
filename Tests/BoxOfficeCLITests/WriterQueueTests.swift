import Foundation
import TestSupport
import Testing

@testable import EdgeStore

#if canImport(Glibc)
    import Glibc
#endif

/// The writer queue (`<database>-writer`) with real processes: sellers killed in line, files left
/// by a power cut or put back from a copy, written over, hard-linked or another user's, turns
/// kept by writers that do not write, another program's locks. Sales go on in each.
@Suite struct WriterQueueTests {
    /// A `boxoffice sell` killed while it waits its turn leaves a ticket nobody will take, and the
    /// sellers behind it are served anyway, at once (its process is gone), not after the turn has
    /// sat unused for a second.
    @Test func aSellerKilledWhileQueuedDoesNotStallTheOthers() throws {
        let node = try CLINode()
        let environment = node.environment(session: node.cashierSession)
        let holder = try #require(WriterTurnstile(databasePath: node.database))
        guard case .turn = holder.enter(timeout: 5) else {
            Issue.record("the turn did not come")
            return
        }
        let turn = holder.tickets.serving
        let doomed = try BackgroundProcess(
            CLINode.binary, Self.sale, environment: environment, logDirectory: node.directory.path)
        #expect(Self.waitsInLine(doomed, ticket: turn &+ 1, node: node), "the seller never queued: \(doomed.stderr)")
        doomed.send(SIGKILL)
        #expect(doomed.wait() == SIGKILL)
        let next = try BackgroundProcess(
            CLINode.binary, Self.sale, environment: environment, logDirectory: node.directory.path)
        #expect(Self.waitsInLine(next, ticket: turn &+ 2, node: node), "the next seller never queued: \(next.stderr)")
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

    /// A power cut while a writer has its turn: the `-writer` file the disk keeps holds a lock
    /// word at offset 64 for a process that no longer exists (as builds that kept the turn in a
    /// mutex there left it), and no kernel remembers any lock. The first connection after the
    /// reboot finds nobody using the queue and starts it afresh: the next sale is sold at once,
    /// not refused as "locked by other terminals" after 10 s.
    @Test func aWriterFileLeftLockedByAPowerCutDoesNotWedgeTheSales() throws {
        let node = try CLINode()
        let writer = node.database + "-writer"
        let holder = try Self.holdTurn([writer], in: node)
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

    /// A queue that is really wedged, its turn and SQLite's write lock kept by a live process
    /// (hung in its transaction): nothing goes by it, `health` says DOWN (exit 1) and a sale gives
    /// up busy, until it lets go.
    @Test func healthIsDownWhileAProcessKeepsTheWritersTurnAndLock() throws {
        let node = try CLINode()
        let holder = try Self.holdTurn(["--lock", node.database + "-writer", node.database], in: node)
        let wedged = try node.run(["health", "--json"])
        let sale = try node.cashier(Self.sale + ["--json"])
        holder.send(SIGKILL)
        holder.wait()
        #expect(wedged.status == 1, "\(wedged.stdout)")
        #expect(wedged.stdout.contains("no writer got its turn within 1.0 s"), "\(wedged.stdout)")
        #expect(sale.status == 4 && sale.stdout.contains("\"busy\""), "\(sale.stderr)")
        let health = try node.run(["health"])
        #expect(health.status == 0, "\(health.stdout)")
        #expect(try node.count("SELECT count(*) FROM orders") == 0)
    }

    /// Issue 29's reproduction while a connection uses the queue (as the daemon always does), so
    /// that nobody starts the queue afresh: the copy's lock word at offset 64 is only bytes, the
    /// next sale sells at once, in the same queue file (nothing had to be gone by or replaced).
    @Test func aStaleWriterFilePutBackUnderALiveConnectionSellsAtOnce() throws {
        let node = try CLINode()
        let writer = node.database + "-writer"
        let live = try Database(path: node.database)
        let holder = try Self.holdTurn([writer], in: node)
        let copy = try Data(contentsOf: URL(fileURLWithPath: writer))
        holder.send(SIGKILL)
        holder.wait()
        try copy.write(to: URL(fileURLWithPath: writer))
        let before = try Self.inode(writer)

        let sale = try node.cashier(Self.sale)
        #expect(sale.status == 0, "\(sale.stderr)")
        #expect(try Self.inode(writer) == before, "the queue file was replaced")
        try live.write {}
        #expect(try node.count("SELECT count(*) FROM orders") == 1)
    }

    /// A copy taken while a writer had its turn and a seller waited behind it, put back under a
    /// live connection once both are gone: its tickets are for writers that will not come. The
    /// next sale goes by them once the line has stood still for `bypassAfter`, a new queue file
    /// takes the copy's place, and `health` says why.
    @Test func aCopyWithTicketsNobodyWillTakeIsGoneBy() throws {
        let node = try CLINode()
        let writer = node.database + "-writer"
        let holder = try #require(WriterTurnstile(databasePath: node.database))
        guard case .turn = holder.enter(timeout: 5) else {
            Issue.record("the turn did not come")
            return
        }
        let seller = try BackgroundProcess(
            CLINode.binary, Self.sale, environment: node.environment(session: node.cashierSession),
            logDirectory: node.directory.path)
        #expect(Self.waitsInLine(seller, ticket: holder.tickets.serving &+ 1, node: node), "\(seller.stderr)")
        let copy = try Data(contentsOf: URL(fileURLWithPath: writer))
        seller.send(SIGKILL)
        seller.wait()
        holder.leave()
        try copy.write(to: URL(fileURLWithPath: writer))

        let sale = try node.cashier(Self.sale)
        #expect(sale.status == 0, "\(sale.stderr)")
        #expect(try node.count("SELECT count(*) FROM orders") == 1)
        let health = try node.run(["health", "--json"])
        #expect(health.status == 0, "\(health.stdout)")
        #expect(health.stdout.contains("did not take its turn"), "\(health.stdout)")
        withExtendedLifetime(holder) {}
    }

    /// Random bytes written over the queue file while a connection uses it, its two ticket
    /// counters (bytes 256–263) among them a million writers apart, as random counters are half
    /// the time: the next sale neither waits on that line nor writes through it; a new file takes
    /// its place, and the connection that was using the old one moves there at its next write.
    @Test func aWriterFileWrittenOverUnderALiveConnectionIsReplaced() throws {
        let node = try CLINode()
        let writer = node.database + "-writer"
        let live = try Database(path: node.database)
        var garbage = Data((0..<WriterQueueLayout.size).map { _ in UInt8.random(in: 0...255) })
        let next = UInt32.random(in: 0...UInt32.max)
        for (offset, value) in [(256, next), (260, next &- 1_000_000)] {
            withUnsafeBytes(of: value.littleEndian) { garbage.replaceSubrange(offset..<offset + 4, with: $0) }
        }
        try garbage.write(to: URL(fileURLWithPath: writer))

        let sale = try node.cashier(Self.sale)
        #expect(sale.status == 0, "\(sale.stderr)")
        try live.write {}
        #expect(live.writersQueueStatus(within: 5).note?.reason.contains("written over") == true)
        #expect(try node.count("SELECT count(*) FROM orders") == 1)
    }

    /// A writer that keeps the turn without writing, in a connection of this process (a daemon
    /// stopped between taking its turn and `BEGIN`) or as another program's lock on the turn's
    /// byte: the next sale goes by it once SQLite's lock shows nobody writes, and a new queue
    /// file takes the place of the kept one; `health` is UP and says who kept the turn.
    @Test func aTurnKeptByAWriterThatDoesNotWriteIsGoneBy() throws {
        let node = try CLINode()
        let holder = try #require(WriterTurnstile(databasePath: node.database))
        guard case .turn = holder.enter(timeout: 5) else {
            Issue.record("the turn did not come")
            return
        }
        let sale = try node.cashier(Self.sale)
        #expect(sale.status == 0, "\(sale.stderr)")
        #expect(holder.isRetired, "the kept queue was not replaced")
        let health = try node.run(["health", "--json"])
        #expect(health.status == 0, "\(health.stdout)")
        #expect(health.stdout.contains("of process \(getpid())"), "\(health.stdout)")
        #expect(health.stdout.contains("which was not writing"), "\(health.stdout)")
        holder.leave()

        let foreign = try Self.holdTurn(["--lock", node.database + "-writer"], in: node)
        let next = try node.cashier(Self.sale)
        #expect(next.status == 0, "\(next.stderr)")
        let named = try node.run(["health", "--json"])
        foreign.send(SIGKILL)
        foreign.wait()
        #expect(named.stdout.contains("by process \(foreign.pid) (python3)"), "\(named.stdout)")
        #expect(try node.count("SELECT count(*) FROM orders") == 2)
    }

    /// Another program's `flock` on the queue file (`flock DB-writer sleep 1000`) is not one of
    /// the queue's locks: sales and `health` go on as if it were not there.
    @Test func aFlockOnTheWriterFileHoldsUpNobody() throws {
        let node = try CLINode()
        let flock = try BackgroundProcess(
            "/usr/bin/flock",
            ["--no-fork", node.database + "-writer", "/bin/sh", "-c", "echo held >&2; exec sleep 1000"],
            logDirectory: node.directory.path)
        #expect(waitUntil(timeout: 30) { flock.stderr.contains("held") } != nil, "\(flock.stderr)")
        let sale = try BackgroundProcess(
            CLINode.binary, Self.sale, environment: node.environment(session: node.cashierSession),
            logDirectory: node.directory.path)
        #expect(Self.finished(sale) == 0, "\(sale.stderr)")
        let health = try BackgroundProcess(
            CLINode.binary, ["health"], environment: node.environment(), logDirectory: node.directory.path)
        #expect(Self.finished(health) == 0, "\(health.stderr)")
        flock.send(SIGKILL)
        flock.wait()
        #expect(try node.count("SELECT count(*) FROM orders") == 1)
    }

    /// A `-writer` that is a second name (hard link) of another file is never written: a new
    /// queue file takes the name, and the other file keeps its bytes.
    @Test func aHardLinkedWriterFileIsReplacedNotWritten() throws {
        let node = try CLINode()
        let writer = node.database + "-writer"
        let other = node.directory.file("other.bin")
        let bytes = Data(repeating: 0xA5, count: 1000)
        try bytes.write(to: URL(fileURLWithPath: other))
        #expect(unlink(writer) == 0 && link(other, writer) == 0)

        let sale = try node.cashier(Self.sale)
        #expect(sale.status == 0, "\(sale.stderr)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: other)) == bytes, "the other file was written")
        #expect(try Self.inode(writer) != Self.inode(other))
        #expect(try node.count("SELECT count(*) FROM orders") == 1)
    }

    /// A `-writer` that belongs to another user than the database's is never written: a new
    /// queue file, the database owner's, takes its name.
    @Test(.enabled(if: getuid() == 0, "giving a file to another user needs root"))
    func aWriterFileOfAnotherUserIsReplacedNotWritten() throws {
        let node = try CLINode()
        let writer = node.database + "-writer"
        let bytes = Data(repeating: 0x5A, count: WriterQueueLayout.size)
        #expect(unlink(writer) == 0)
        try bytes.write(to: URL(fileURLWithPath: writer))
        #expect(chown(writer, 65534, 65534) == 0)
        let theirs = try #require(FileHandle(forReadingAtPath: writer))

        let sale = try node.cashier(Self.sale)
        #expect(sale.status == 0, "\(sale.stderr)")
        var info = stat()
        #expect(lstat(writer, &info) == 0 && info.st_uid == getuid(), "the queue file is still user \(info.st_uid)'s")
        #expect(try theirs.readToEnd() == bytes, "the other user's file was written")
        #expect(try node.count("SELECT count(*) FROM orders") == 1)
    }

    static let sale = ["sell", "SHOW", "--category", "GA", "--qty", "1", "--payment", "cash"]

    /// `Tests/Helpers/hold-writer-turn.py` with `arguments`, once it says it holds.
    static func holdTurn(_ arguments: [String], in node: CLINode) throws -> BackgroundProcess {
        let helpers = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().path
        let holder = try BackgroundProcess(
            "/usr/bin/python3", [helpers + "/Helpers/hold-writer-turn.py"] + arguments,
            logDirectory: node.directory.path)
        #expect(waitUntil(timeout: 30) { holder.stderr.contains("held") } != nil, "\(holder.stderr)")
        return holder
    }

    /// True once `seller` waits in line for `ticket`: one of its threads sleeps in futex(2) on the
    /// ticket's bell (after it wrote down who holds the ticket).
    static func waitsInLine(_ seller: BackgroundProcess, ticket: UInt32, node: CLINode) -> Bool {
        let bell = WriterTurnstile.bellOffset(of: ticket)
        let waits = waitUntil(timeout: 30) {
            !seller.isRunning || ThreadState.sleepsInFutex(seller.pid, onFile: node.database + "-writer", offset: bell)
        }
        return waits != nil && seller.isRunning
    }

    /// The exit status of `process` once it ends, nil (and killed) when it has not ended within a
    /// generous 60 s: it hangs.
    static func finished(_ process: BackgroundProcess) -> Int32? {
        guard waitUntil(timeout: 60, { !process.isRunning }) != nil else {
            process.send(SIGKILL)
            process.wait()
            return nil
        }
        return process.wait()
    }

    static func inode(_ path: String) throws -> UInt64 {
        var info = stat()
        guard lstat(path, &info) == 0 else { throw CocoaError(.fileNoSuchFile) }
        return UInt64(info.st_ino)
    }
}
