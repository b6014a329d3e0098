import EdgeStore
import Foundation
import TestSupport
import Testing

/// A sale is on disk before the cashier sees it: the real `boxoffice`, watched by `strace`,
/// writes the sale's WAL frames, flushes the WAL, and only then prints the receipt. (The node
/// flushes each commit itself, after the writer's turn, rather than inside SQLite's `COMMIT`.)
@Suite struct DurabilityTests {
    static let sale = ["sell", "SHOW", "--category", "GA", "--qty", "1", "--payment", "cash"]
    static let wal = ".sqlite-wal>"

    /// `boxoffice` run as the cashier under `strace`.
    func trace(
        _ node: CLINode, _ arguments: [String], session: String? = nil, environment: [String: String] = [:],
        tracing: String = "pwrite64,fdatasync,fsync,write"
    ) throws -> SyscallTrace {
        let trace = try SyscallTrace(
            CLINode.binary, arguments, tracing: tracing,
            environment: node.environment(session: session ?? node.cashierSession).merging(environment) { $1 },
            in: node.directory.path)
        #expect(trace.result.status == 0, "\(trace.result.stderr)")
        return trace
    }

    /// A node whose WAL is in use, as nearly every sale finds it. A sale that starts a new WAL
    /// (the first commit after a checkpoint emptied it) writes and flushes its header first, and
    /// whether the set-up leaves the WAL empty depends on how many pages it wrote (a process
    /// closing with more than 200 frames in it truncates it): so the WAL is emptied here, then a
    /// sale starts it.
    func nodeWithWALInUse() throws -> CLINode {
        let node = try CLINode()
        let _: Int64? = try Database(path: node.database).scalar("PRAGMA wal_checkpoint(TRUNCATE)")
        try node.expectSuccess(Self.sale, session: node.cashierSession)
        return node
    }

    @Test func aSaleIsFlushedBeforeItsReceiptIsPrinted() throws {
        let node = try nodeWithWALInUse()
        let trace = try trace(node, Self.sale)
        let receipt = try #require(trace.first("write", mentioning: "write(1<"), "no receipt printed")
        let lastFrame = try #require(
            trace.last("pwrite64", mentioning: Self.wal, before: receipt), "the sale wrote no WAL frames")
        let flush = trace.first("fdatasync", mentioning: Self.wal, from: lastFrame) ?? trace.calls.count
        #expect(flush < receipt, "the receipt was printed before the sale was on disk")
    }

    /// The sale's WAL frames, each a 24-byte header and a page that SQLite writes in two calls,
    /// reach the file in one `pwrite` (`CBatchedWAL`): two dozen calls a sale before.
    @Test func aSalesFramesAreWrittenInOneCall() throws {
        let node = try nodeWithWALInUse()
        let trace = try trace(node, Self.sale, tracing: "pwrite64")
        let frames = trace.calls.filter { $0.contains("pwrite64(") && $0.contains(Self.wal) }
        #expect(frames.count == 1, "\(frames.count) writes to the WAL: \(frames.prefix(4))")
        // Whole frames, after the WAL's 32-byte header when the sale is its first commit.
        let written = try #require(
            frames.first.flatMap {
                Int($0.components(separatedBy: " = ").last?.trimmingCharacters(in: .whitespaces) ?? "")
            })
        #expect(written > 4 * (2048 + 24) && [0, 32].contains(written % (2048 + 24)), "\(written) bytes")
    }

    /// A customer is told of a sale only once it is on disk: `notifications send` flushes the WAL
    /// after reading what is due and before the first email is written out.
    @Test func anEmailGoesOutOnlyForASaleOnDisk() throws {
        let node = try CLINode()
        // From an empty WAL, so that the sale stays in it: a process that closes with a WAL past
        // `Database.closeCheckpointFrames` copies it into the database file.
        let _: Int64? = try Database(path: node.database).scalar("PRAGMA wal_checkpoint(TRUNCATE)")
        try node.expectSuccess(Self.sale + ["--customer", "kim@example.org"], session: node.cashierSession)
        let spool = node.directory.file("spool")
        let trace = try trace(
            node, ["notifications", "send", "--spool", spool], session: node.adminSession,
            tracing: "pread64,fdatasync,fsync,openat")
        let email = try #require(
            trace.calls.firstIndex { $0.contains("openat(") && $0.contains(spool + "/") && $0.contains("O_CREAT") },
            "no email was written")
        let lastRead = try #require(
            trace.last("pread64", mentioning: Self.wal, before: email), "the notification was not read from the WAL")
        #expect(trace.first("fdatasync", mentioning: Self.wal, from: lastRead).map { $0 < email } == true)
    }

    /// `BOXOFFICE_SYNCHRONOUS=normal` trades that flush for speed: the sale's commit is not flushed.
    @Test func normalDurabilityLeavesTheCommitUnflushed() throws {
        let node = try nodeWithWALInUse()
        let trace = try trace(node, Self.sale, environment: ["BOXOFFICE_SYNCHRONOUS": "normal"])
        let receipt = try #require(trace.first("write", mentioning: "write(1<"))
        #expect(trace.first("fdatasync", mentioning: Self.wal).map { $0 > receipt } ?? true)
    }
}
