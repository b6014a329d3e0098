import Foundation
import TestSupport
import Testing
import Ticketing

/// What leaves the node for central is on disk first. A terminal's commit is seen by other
/// connections a moment before that terminal has flushed it (the node flushes after the
/// writer's turn), so `venue-syncd`, watched by `strace`, must flush the node's WAL after
/// reading the outbox and before the records go out on the wire. With NORMAL durability, where
/// commits wait for the next checkpoint's flush, the push flushes all the same.
@Suite struct FlushBeforePushTests {
    @Test(arguments: NodeOptions.Durability.allCases)
    func theOutboxIsFlushedBeforeItIsSent(durability: NodeOptions.Durability) throws {
        let world = try SyncWorld()
        let node = try world.makeNode("NODE-A", durability: durability)
        #expect(try world.syncOnce(node).status == 0)
        let orderID = try node.sell("BIG", "FLOOR").orderID
        let file = world.directory.file("syncd.trace")
        let result = try ProcessRunner.run(
            "/usr/bin/strace",
            [
                "-f", "-qq", "-y", "-s", "4096", "-o", file, "-e",
                "trace=pread64,fdatasync,fsync,write,writev,sendto,sendmsg",
                ProcessRunner.product("venue-syncd"), "--db", node.path, "--once",
            ], environment: world.environment.merging(["BOXOFFICE_SYNCHRONOUS": durability.rawValue]) { $1 })
        #expect(result.status == 0, "\(result.stderr)")
        let calls = try String(contentsOfFile: file, encoding: .utf8).split(separator: "\n").map(String.init)
        let sent = try #require(
            calls.firstIndex { !$0.contains(".sqlite") && $0.contains(orderID) }, "the order never went out")
        let lastRead = try #require(
            calls[..<sent].lastIndex { $0.contains("pread64(") && $0.contains(".sqlite-wal>") },
            "the outbox was not read from the WAL")
        let flushed = calls[lastRead..<sent].contains { $0.contains("fdatasync(") && $0.contains(".sqlite-wal>") }
        #expect(flushed, "the records went to central before the WAL that holds them was flushed")
        #expect(try world.centralOrders(node: "NODE-A") == node.orders())
    }
}
