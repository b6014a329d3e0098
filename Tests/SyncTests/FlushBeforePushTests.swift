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
        let trace = try SyscallTrace(
            ProcessRunner.product("venue-syncd"), ["--db", node.path, "--once"],
            tracing: "pread64,fdatasync,fsync,write,writev,sendto,sendmsg",
            environment: world.environment.merging(["BOXOFFICE_SYNCHRONOUS": durability.rawValue]) { $1 },
            stringLimit: 4096, in: world.directory.path)
        #expect(trace.result.status == 0, "\(trace.result.stderr)")
        let sent = try #require(
            trace.calls.firstIndex { !$0.contains(".sqlite") && $0.contains(orderID) }, "the order never went out")
        let lastRead = try #require(
            trace.last("pread64", mentioning: ".sqlite-wal>", before: sent), "the outbox was not read from the WAL")
        let flushed = trace.first("fdatasync", mentioning: ".sqlite-wal>", from: lastRead).map { $0 < sent } == true
        #expect(flushed, "the records went to central before the WAL that holds them was flushed")
        #expect(try world.centralOrders(node: "NODE-A") == node.orders())
    }
}
