import Central
import Foundation
import MySQLClient
import Reconciliation
import SyncWire
import TestSupport
import Testing

@testable import Ticketing

/// Time that decides anything comes from central or from the allocation, never from a node's
/// clock: nodes run under `faketime`, a day behind and a day ahead.
@Suite(.serialized) struct ClockTests {
    @Test func aNodeWithItsClockADayOffDecidesNothingAndLooksNeitherSilentNorLively() throws {
        let world = try SyncWorld()
        let a = try world.makeNode("NODE-A")
        let b = try world.makeNode("NODE-B")
        #expect(try world.syncOnce(a).status == 0 && world.syncOnce(b).status == 0)
        // A bad local re-allocation gives NODE-B a seat central gave NODE-A, and 60 of SMALL where
        // central gave it 40.
        let bad = world.directory.file("bad.json")
        try SyncWorld.fixture
            .replacingOccurrences(
                of: "\"seats\": [\"MAIN-D\", \"MAIN-E\"]", with: "\"seats\": [\"MAIN-A-1\", \"MAIN-D\", \"MAIN-E\"]"
            )
            .replacingOccurrences(
                of: "\"node\": \"NODE-B\", \"event\": \"SMALL\", \"category\": \"GA\", \"quota\": 40",
                with: "\"node\": \"NODE-B\", \"event\": \"SMALL\", \"category\": \"GA\", \"quota\": 60"
            )
            .write(toFile: bad, atomically: true, encoding: .utf8)
        _ = try b.node.catalog.importReference(file: bad, by: b.admin)

        // NODE-B's clock is a day behind: by its clock it sold first, and it pushes first.
        let behind = "-1d"
        #expect(
            try world.boxoffice(
                b, ["sell", "SEATED", "--category", "MAIN", "--seat", "MAIN-A-1", "--payment", "cash"], clock: behind
            ).status == 0)
        for quantity in [20, 20, 5] {
            let sold = try world.boxoffice(
                b, ["sell", "SMALL", "--category", "GA", "--qty", String(quantity), "--payment", "cash"], clock: behind)
            #expect(sold.status == 0, "\(sold.stderr)")
        }
        #expect(try world.syncOnce(b, clock: behind).status == 0)
        try a.sell("SEATED", "MAIN", .seats(["MAIN-A-1"]))
        for _ in 0..<3 { try a.sell("SMALL", "GA", .quantity(20)) }
        #expect(try world.syncOnce(a).status == 0)

        let now = world.clock.now()
        let received = try #require(
            try world.central.scalar("SELECT MIN(received_at) FROM orders WHERE node_id = 'NODE-B'", as: String.self))
        let created = try #require(
            try world.central.scalar("SELECT MIN(created_at) FROM orders WHERE node_id = 'NODE-B'", as: String.self))
        #expect(
            abs(now.milliseconds - (Timestamp(sqlText: received)?.milliseconds ?? 0)) < 120_000,
            "central stamps arrivals with its clock")
        #expect(
            abs(now.milliseconds - (Timestamp(sqlText: created)?.milliseconds ?? 0) - 86_400_000) < 120_000,
            "the node's own time is kept")

        let report = try Reconciler(connection: world.central).run(
            scope: ReconciliationScope(), dryRun: false, now: now)
        let keys = Set(report.discrepancies.map(\.finding.key))
        let seatLoser = try #require(report.discrepancies.first { $0.finding.kind == .seatDoubleSold })
        #expect(
            seatLoser.finding.nodeID == "NODE-B",
            "the seat's owner under the allocation keeps it, whatever NODE-B's clock says")
        let oversold = report.discrepancies.filter { $0.finding.kind == .categoryOversold }
        #expect(
            oversold.count == 5 && oversold.allSatisfy { $0.finding.nodeID == "NODE-B" },
            "the sales beyond NODE-B's allocation go first")
        #expect(try world.central.scalar("SELECT COUNT(*) FROM settlement WHERE node_id <> 'NODE-B'") == 0)
        #expect(keys.contains("node_clock_skew/NODE-B") && !keys.contains("node_silent/NODE-B"))

        // A node a day ahead: central hears from it now, not tomorrow.
        let c = try world.makeNode("NODE-C")
        #expect(try world.syncOnce(c, clock: "+1d").status == 0)
        let nodes = try world.central(["nodes", "--json"])
        let listed = try #require(try JSONSerialization.jsonObject(with: Data(nodes.stdout.utf8)) as? [[String: Any]])
        func field(_ node: String, _ key: String) -> Int? { listed.first { $0["id"] as? String == node }?[key] as? Int }
        #expect(
            (field("NODE-B", "clock_offset_seconds") ?? 0) < -86_000
                && (field("NODE-C", "clock_offset_seconds") ?? 0) > 86_000)
        #expect(
            (0...120).contains(field("NODE-B", "silent_seconds") ?? -1)
                && (0...120).contains(field("NODE-C", "silent_seconds") ?? -1))
        let status = try world.boxoffice(b, ["status", "--json"])
        let sync = try #require(
            (try JSONSerialization.jsonObject(with: Data(status.stdout.utf8)) as? [String: Any])?["sync"]
                as? [String: Any])
        #expect((sync["clock_offset_seconds"] as? Int ?? 0) < -86_000, "the node shows its offset too")
        let later = try Reconciler(connection: world.central).run(
            scope: ReconciliationScope(), dryRun: true, now: world.clock.now())
        #expect(later.discrepancies.contains { $0.finding.key == "node_clock_skew/NODE-C" })
        #expect(!later.discrepancies.contains { $0.finding.kind == .nodeSilent })
    }
}
