import Foundation
import TestSupport
import Testing

/// A sale is on disk before the cashier sees it: the real `boxoffice`, watched by `strace`,
/// writes the sale's WAL frames, flushes the WAL, and only then prints the receipt. (The node
/// flushes each commit itself, after the writer's turn, rather than inside SQLite's `COMMIT`.)
@Suite struct DurabilityTests {
    /// The system calls of one `boxoffice` run that touch the node's WAL or print, in order.
    struct Trace {
        let calls: [String]

        init(
            of node: CLINode, _ arguments: [String], session: String? = nil, environment: [String: String] = [:],
            tracing: String = "pwrite64,fdatasync,fsync,write"
        ) throws {
            let file = node.directory.file("strace-\(UUID().uuidString).txt")
            let result = try node.run(
                ["-f", "-qq", "-y", "-o", file, "-e", "trace=\(tracing)", CLINode.binary] + arguments,
                session: session ?? node.cashierSession, executable: "/usr/bin/strace", environment: environment)
            #expect(result.status == 0, "\(result.stderr)")
            calls = try String(contentsOfFile: file, encoding: .utf8).split(separator: "\n").map(String.init)
        }

        /// Index of the first call named `name` on the WAL at or after `start`.
        func index(of name: String, onWAL: Bool = true, after start: Int = 0) -> Int? {
            calls.indices.first { index in
                index >= start && calls[index].contains("\(name)(")
                    && (!onWAL || calls[index].contains(".sqlite-wal>"))
            }
        }

        /// Index of the first write to standard output: the receipt.
        var receipt: Int? { calls.firstIndex { $0.contains("write(1<") } }
    }

    @Test func aSaleIsFlushedBeforeItsReceiptIsPrinted() throws {
        let node = try CLINode()
        let trace = try Trace(of: node, ["sell", "SHOW", "--category", "GA", "--qty", "1", "--payment", "cash"])
        let receipt = try #require(trace.receipt, "no receipt printed")
        let frames = trace.calls[..<receipt].indices.filter {
            trace.calls[$0].contains("pwrite64(") && trace.calls[$0].contains(".sqlite-wal>")
        }
        let lastFrame = try #require(frames.last, "the sale wrote no WAL frames")
        let flush = trace.index(of: "fdatasync", after: lastFrame) ?? trace.calls.count
        #expect(flush < receipt, "the receipt was printed before the sale was on disk")
    }

    /// A customer is told of a sale only once it is on disk: `notifications send` flushes the WAL
    /// after reading what is due and before the first email is written out.
    @Test func anEmailGoesOutOnlyForASaleOnDisk() throws {
        let node = try CLINode()
        try node.expectSuccess(
            ["sell", "SHOW", "--category", "GA", "--qty", "1", "--payment", "cash", "--customer", "kim@example.org"],
            session: node.cashierSession)
        let spool = node.directory.file("spool")
        let trace = try Trace(
            of: node, ["notifications", "send", "--spool", spool], session: node.adminSession,
            tracing: "pread64,fdatasync,fsync,openat")
        let email = try #require(
            trace.calls.firstIndex { $0.contains("openat(") && $0.contains(spool + "/") && $0.contains("O_CREAT") },
            "no email was written")
        let lastRead = try #require(
            trace.calls[..<email].lastIndex { $0.contains("pread64(") && $0.contains(".sqlite-wal>") },
            "the notification was not read from the WAL")
        #expect(trace.index(of: "fdatasync", after: lastRead).map { $0 < email } == true)
    }

    /// `BOXOFFICE_SYNCHRONOUS=normal` trades that flush for speed: the sale's commit is not flushed.
    @Test func normalDurabilityLeavesTheCommitUnflushed() throws {
        let node = try CLINode()
        let trace = try Trace(
            of: node, ["sell", "SHOW", "--category", "GA", "--qty", "1", "--payment", "cash"],
            environment: ["BOXOFFICE_SYNCHRONOUS": "normal"])
        let receipt = try #require(trace.receipt)
        #expect(trace.index(of: "fdatasync") == nil || trace.index(of: "fdatasync")! > receipt)
    }
}
