import Central
import Foundation
import MySQLClient
import SyncWire
import TestSupport
import Testing

@testable import SyncEngine
@testable import Ticketing

#if canImport(Glibc)
    import Glibc
#endif

/// `venue-syncd` as a real process against a real MariaDB server.
@Suite(.serialized) struct DaemonTests {
    /// Central must equal the node exactly: the same orders, tickets, amounts and payments per
    /// event and category, every outbox record stored once.
    private func expectCentralEqualsNode(_ world: SyncWorld, _ node: SyncNode, _ label: String) throws {
        #expect(try world.centralTotals(node: node.node.settings().nodeID) == node.totals(), "\(label)")
        let nodeID = try node.node.settings().nodeID
        #expect(
            try world.central.scalar("SELECT COUNT(*) FROM orders WHERE node_id = ?", [nodeID])
                == node.count("SELECT count(*) FROM orders"))
        #expect(
            try world.central.scalar("SELECT COUNT(*) FROM ticket WHERE node_id = ?", [nodeID])
                == node.count("SELECT count(*) FROM ticket"))
        #expect(
            try world.central.scalar("SELECT COUNT(*) FROM sync_inbox WHERE node_id = ?", [nodeID])
                == node.count("SELECT count(*) FROM sync_outbox"))
        #expect(
            try world.central.scalar("SELECT acknowledged_seq FROM node WHERE id = ?", [nodeID])
                == node.count("SELECT max(seq) FROM sync_outbox"))
    }

    private func drain(_ world: SyncWorld, _ node: SyncNode) throws {
        for _ in 0..<20 where try node.node.sync.status().outboxPending > 0 {
            _ = try world.syncOnce(node, ["--batch", "1000"])
        }
        #expect(try node.node.sync.status().outboxPending == 0)
    }

    @Test func sigkillsWhilePushingTenThousandSalesLoseNothingAndDoubleNothing() throws {
        let world = try SyncWorld()
        let node = try world.makeNode("NODE-A", durability: .normal)
        #expect(try world.syncOnce(node).status == 0)
        for index in 0..<10_000 {
            try node.sell(
                "BIG", "FLOOR",
                payment: PaymentRequest(
                    method: index % 3 == 0 ? .card : .cash, reference: index % 3 == 0 ? "T\(index)" : nil))
        }
        let total = try node.count("SELECT count(*) FROM sync_outbox")
        // Each daemon is killed at a random moment within 50 ms of central first acknowledging
        // a batch of its push, until at least 10 kills landed mid-push: however fast the push,
        // each life moves only a part of the outbox.
        func acknowledged() throws -> Int {
            try world.central.scalar("SELECT COALESCE(MAX(acknowledged_seq), 0) FROM node WHERE id = 'NODE-A'") ?? 0
        }
        var kills = 0
        var killedMidway = 0
        while kills < 20 || killedMidway < 10, kills < 60 {
            let before = try acknowledged()
            let daemon = try world.startDaemon(node, ["--interval", "100ms", "--batch", "100"])
            try waitUntil(timeout: 30, every: 0.002) { try before >= total || acknowledged() != before }
            // The kill's random moment is what is tested: it orders nothing.
            Thread.sleep(forTimeInterval: Double.random(in: 0...0.05))
            daemon.send(SIGKILL)
            #expect(daemon.wait() == SIGKILL)
            kills += 1
            if try acknowledged() < total { killedMidway += 1 }
        }
        #expect(killedMidway >= 10, "kills \(kills), of which mid-push \(killedMidway)")
        try drain(world, node)
        try expectCentralEqualsNode(world, node, "after \(kills) SIGKILLs")
        #expect(try world.central.scalar("SELECT COUNT(*) FROM ticket WHERE node_id = 'NODE-A'") == 10_000)
    }

    @Test func readOnlyCentralAndAnOutageAreRiddenOutAndTheOutboxDrains() throws {
        let world = try SyncWorld(privateServer: true)
        let node = try world.makeNode("NODE-A")
        #expect(try world.syncOnce(node).status == 0)
        let port = Network.freePort()
        let daemon = try world.startDaemon(
            node, ["--interval", "500ms", "--max-backoff", "1s", "--http", "127.0.0.1:\(port)", "--log-level", "debug"])
        func health() -> [String: Any]? {
            Network.get(port: port, path: "/health").flatMap {
                try? JSONSerialization.jsonObject(with: Data($0.body.utf8)) as? [String: Any]
            }
        }
        func component(_ name: String) -> [String: Any]? {
            (health()?["components"] as? [String: Any])?[name] as? [String: Any]
        }
        func mode() -> String? { (component("central")?["details"] as? [String: Any])?["mode"] as? String }
        func pending() -> Int? { (component("outbox")?["details"] as? [String: Any])?["pending"] as? Int }
        #expect(waitUntil(timeout: 5) { mode() == "writable" } != nil, "\(daemon.stderr)")
        for _ in 0..<10 { try node.sell("BIG", "FLOOR") }
        #expect(waitUntil(timeout: 5) { pending() == 0 } != nil)

        let cyclesBefore = Self.cycles(daemon).count
        try world.server.sql("SET GLOBAL read_only = ON")
        #expect(waitUntil(timeout: 30) { mode() == "read_only" } != nil, "\(daemon.stderr)")
        // Noticed by the cycle under way when central switched, or by the next one. A cycle whose
        // health the test read before its log line was written may come first.
        let noticedBy = Self.cycles(daemon).dropFirst(cyclesBefore).firstIndex { $0.contains("mode=read_only") }
        #expect(noticedBy.map { $0 - cyclesBefore < 3 } == true, "\(Self.cycles(daemon).dropFirst(cyclesBefore))")
        #expect(
            health()?["status"] as? String == "UP" && component("central")?["status"] as? String == "DOWN",
            "a node whose central is read-only still sells: UP, with central DOWN")
        #expect(Network.get(port: port, path: "/health/readiness")?.status == 200)
        for _ in 0..<100 { try node.sell("BIG", "FLOOR") }
        // Two cycles after the sales, one of them a probe that tried to push and was refused.
        let cyclesAfterSales = Self.cycles(daemon).count
        let probed = waitUntil(timeout: 30) {
            let since = Self.cycles(daemon).dropFirst(cyclesAfterSales)
            return since.count >= 2
                && since.contains { $0.contains("mode=read_only") && $0.contains("push_skipped=false") }
        }
        #expect(probed != nil, "\(daemon.stderr)")
        #expect(mode() == "read_only" && pending() == 100)
        try world.server.sql("SET GLOBAL read_only = OFF")
        #expect(waitUntil(timeout: 10) { mode() == "writable" && pending() == 0 } != nil, "\(daemon.stderr)")
        try expectCentralEqualsNode(world, node, "after read-only")

        try world.server.stop()
        #expect(waitUntil(timeout: 5) { mode() == "unreachable" } != nil)
        for _ in 0..<100 { try node.sell("BIG", "FLOOR") }
        #expect(pending() == 100)
        try world.server.start()
        #expect(waitUntil(timeout: 15) { mode() == "writable" && pending() == 0 } != nil, "\(daemon.stderr)")
        let central = try MySQLConnection(world.configuration)
        #expect(try central.scalar("SELECT COUNT(*) FROM ticket WHERE node_id = 'NODE-A'") == 210)

        daemon.send(SIGTERM)
        #expect(daemon.wait() == 0)
        #expect(
            daemon.stderr.contains("central.mode") && daemon.stderr.contains("mode=read_only")
                && daemon.stderr.contains("syncd.stopped"))
    }

    /// Between its cycles (an hour apart here) the daemon pushes a sale as soon as the counter
    /// commits it: central has it long before the next cycle.
    @Test func aSaleReachesCentralWithoutWaitingForTheNextCycle() throws {
        let world = try SyncWorld()
        let node = try world.makeNode("NODE-A")
        let daemon = try world.startDaemon(node, ["--interval", "1h", "--log-level", "debug"])
        defer {
            daemon.send(SIGTERM)
            _ = daemon.wait()
        }
        // The first cycle is over once the daemon waits for commits: poll(2) on its stop signal
        // for commitPoll at a time (having read the database's commit token before).
        let waitsForCommits = waitUntil(timeout: 30, every: 0.005) {
            !Self.cycles(daemon).isEmpty
                && ThreadState.isInSystemCall(
                    daemon.pid, ThreadState.pollCall, arguments: [nil, 1, UInt(SyncDaemon.commitPoll * 1000)])
        }
        #expect(waitsForCommits != nil, "\(daemon.stderr)")
        for _ in 0..<3 {
            try node.sell("BIG", "FLOOR")
            let pushed = try waitUntil(timeout: 60) { try world.centralOrders(node: "NODE-A") == node.orders() }
            #expect(pushed != nil, "central never had the sale: \(daemon.stderr)")
        }
    }

    /// The daemon's `sync.cycle` log lines (at `--log-level debug`), one per cycle or push, in order.
    static func cycles(_ daemon: BackgroundProcess) -> [Substring] {
        daemon.stderr.split(separator: "\n").filter { $0.contains(" sync.cycle ") }
    }

    @Test func twoNodesOnOneEventAddUpAtCentral() throws {
        let world = try SyncWorld()
        let a = try world.makeNode("NODE-A")
        let b = try world.makeNode("NODE-B")
        #expect(try world.syncOnce(a).status == 0 && world.syncOnce(b).status == 0)
        for _ in 0..<30 { try a.sell("BIG", "FLOOR") }
        for _ in 0..<20 { try b.sell("BIG", "FLOOR", .quantity(2)) }
        try a.sell("SEATED", "MAIN", .quantity(4))
        try b.sell("SEATED", "MAIN", .seats(["MAIN-D-1", "MAIN-D-2"]))
        #expect(throws: TicketingError.self) { try b.sell("SEATED", "MAIN", .seats(["MAIN-A-1"])) }
        #expect(try world.syncOnce(a).status == 0 && world.syncOnce(b).status == 0)
        let sum = try a.totals().merging(b.totals()) { x, y in zip(x, y).map(+) }
        #expect(try world.centralTotals() == sum)
        #expect(sum["BIG/FLOOR"]?[1] == 70 && sum["SEATED/MAIN"]?[1] == 6)
        try expectCentralEqualsNode(world, a, "node A")
        try expectCentralEqualsNode(world, b, "node B")
        #expect(try world.central.scalar("SELECT COUNT(*) FROM sync_conflict") == 0)
    }

    @Test func centralAllocationChangesAndCancellationsReachTheNode() throws {
        let world = try SyncWorld()
        let node = try world.makeNode("NODE-A")
        #expect(try world.syncOnce(node).status == 0)
        for _ in 0..<5 {
            _ = try node.node.sales.sell(
                SaleRequest(
                    eventID: "SMALL", categoryCode: "GA", selection: .quantity(1),
                    payment: PaymentRequest(method: .cash),
                    customer: CustomerDetails(email: "fan@example.org")), by: node.admin)
        }
        #expect(try world.syncOnce(node).status == 0)
        let centralTool = ProcessRunner.product("central")
        let grow = try ProcessRunner.run(
            centralTool, ["allocate", "BIG", "--category", "FLOOR", "--node", "NODE-A", "--quota", "11000"],
            environment: world.environment)
        #expect(grow.status == 0 && grow.stdout.contains("Proposed v"), "\(grow.stderr)")
        let shrink = try ProcessRunner.run(
            centralTool,
            ["allocate", "SEATED", "--category", "MAIN", "--node", "NODE-A", "--seats", "MAIN-A", "MAIN-B"],
            environment: world.environment)
        #expect(shrink.status == 0, "\(shrink.stderr)")
        let cancel = try ProcessRunner.run(
            centralTool, ["event", "cancel", "SMALL", "--reason", "storm"], environment: world.environment)
        #expect(cancel.status == 0, "\(cancel.stderr)")
        #expect(try world.syncOnce(node).status == 0)
        #expect(try node.count("SELECT quota FROM allocation WHERE event_id = 'BIG'") == 11000)
        #expect(try node.count("SELECT quota FROM allocation WHERE event_id = 'SEATED'") == 20)
        #expect(
            try node.count(
                "SELECT count(*) FROM event_seat WHERE event_id = 'SEATED' AND seat_label LIKE 'MAIN-C-%' AND status = 'unallocated'"
            ) == 10)
        #expect(try node.node.catalog.event("SMALL").status == .cancelled)
        #expect(
            try node.count("SELECT count(*) FROM refund WHERE status = 'pending' AND origin = 'event_cancelled'") == 5)
        #expect(try node.count("SELECT count(*) FROM notification WHERE kind = 'event_cancelled'") == 5)
        #expect(throws: TicketingError.self) { try node.sell("SMALL", "GA") }
        #expect(try world.syncOnce(node).status == 0)
        #expect(
            try world.central.scalar("SELECT COUNT(*) FROM ticket WHERE event_id = 'SMALL' AND status = 'void'") == 5)
        #expect(
            try world.central.scalar("SELECT quota FROM allocation WHERE event_id = 'SEATED' AND node_id = 'NODE-A'")
                == 20)
        #expect(
            try world.central.scalar(
                "SELECT COUNT(*) FROM allocation_seat WHERE event_id = 'SEATED' AND node_id = 'NODE-A'") == 20)
        let freed = try ProcessRunner.run(
            centralTool, ["allocate", "SEATED", "--category", "MAIN", "--node", "NODE-C", "--seats", "MAIN-C"],
            environment: world.environment)
        #expect(freed.status == 0, "\(freed.stderr)")
    }

    @Test func healthMetricsTheInstanceLockAndACleanStop() throws {
        let world = try SyncWorld()
        let node = try world.makeNode("NODE-A")
        let port = Network.freePort()
        let daemon = try world.startDaemon(
            node, ["--interval", "200ms", "--http", "127.0.0.1:\(port)", "--log-format", "json"])
        #expect(
            waitUntil(timeout: 5) {
                Network.get(port: port, path: "/health")?.body.contains("\"mode\":\"writable\"") == true
            } != nil,
            "\(daemon.stderr)")
        let health = try #require(Network.get(port: port, path: "/health"))
        #expect(
            health.status == 200 && health.body.hasPrefix("{\"components\":{")
                && health.body.contains("\"nodeId\":\"NODE-A\"")
                && health.body.contains("\"pending\":0") && health.body.hasSuffix("\"status\":\"UP\"}\n"),
            "\(health.body)")
        for name in ["central", "db", "diskSpace", "outbox", "sales", "sync", "syncLoop"] {
            #expect(health.body.contains("\"\(name)\":{"), "\(name) missing from \(health.body)")
        }
        for path in [
            "/actuator/health", "/health/liveness", "/actuator/health/liveness", "/health/readiness",
            "/actuator/health/readiness",
        ] {
            let answer = Network.get(port: port, path: path)
            #expect(
                answer?.status == 200 && answer?.body.contains("\"status\":\"UP\"") == true,
                "\(path): \(answer?.body ?? "")")
            #expect(
                Network.get(port: port, path: path, method: "HEAD").map { $0.status == 200 && $0.body.isEmpty } == true)
        }
        #expect(Network.get(port: port, path: "/actuator/prometheus")?.body.contains("venue_sync_cycles_total") == true)
        try node.sell("BIG", "FLOOR")
        let records = try node.count("SELECT count(*) FROM sync_outbox")
        #expect(
            waitUntil(timeout: 5) {
                Network.get(port: port, path: "/metrics")?.body.contains(
                    "venue_sync_records_pushed_total{node=\"NODE-A\"} \(records)") == true
            } != nil)
        let metrics = try #require(Network.get(port: port, path: "/metrics")).body
        for name in [
            "venue_sync_records_pulled_total", "venue_sync_outbox_pending",
            "venue_sync_central_mode{node=\"NODE-A\",mode=\"writable\"} 1",
            "venue_sync_push_batch_seconds_bucket", "venue_sync_push_batch_seconds_count", "venue_sync_lag_seconds",
        ] {
            #expect(metrics.contains(name), "\(name) missing")
        }
        #expect(Network.get(port: port, path: "/nope")?.status == 404)
        #expect(Network.get(port: port, path: "/health", method: "POST")?.status == 405)

        let second = try world.syncOnce(node)
        #expect(second.status == 1 && second.stderr.contains("another venue-syncd is already running"))

        try Data(repeating: 0x5A, count: 8192).write(to: URL(fileURLWithPath: node.path))  // not a database any more
        #expect(waitUntil(timeout: 5) { Network.get(port: port, path: "/health")?.status == 503 } != nil)

        daemon.send(SIGTERM)
        #expect(daemon.wait() == 0)
        let lines = daemon.stderr.split(separator: "\n")
        #expect(
            lines.allSatisfy { $0.hasPrefix("{") && $0.hasSuffix("}") } && lines.last?.contains("syncd.stopped") == true
        )
    }

    /// The network freezes while a push transaction waits for its COMMIT: the server keeps that
    /// session and its lock on the node's row. The daemon times out, reconnects, ends the orphaned
    /// session and drains within a few intervals, instead of waiting hours for the server to notice.
    @Test func aNetworkFrozenMidPushIsRiddenOutWithinAFewIntervals() throws {
        let world = try SyncWorld()
        let node = try world.makeNode("NODE-A")
        #expect(try world.syncOnce(node).status == 0)
        for _ in 0..<2000 { try node.sell("BIG", "FLOOR") }
        let proxy = try FreezeProxy(world)
        proxy.armNextCommit()
        let through =
            proxy.url(world, query: "connect_timeout=2&read_timeout=2&write_timeout=2")
        let daemon = try BackgroundProcess(
            ProcessRunner.product("venue-syncd"),
            ["--db", node.path, "--interval", "200ms", "--batch", "100", "--max-backoff", "1s"],
            environment: ["CENTRAL_URL": through, "CENTRAL_PASSWORD_FILE": world.server.passwordFile],
            logDirectory: world.directory.path)
        #expect(waitUntil(timeout: 10) { proxy.hasFrozen } != nil, "\(daemon.stderr)")
        let newest = try node.count("SELECT max(seq) FROM sync_outbox")
        let drained = waitUntil(timeout: 15) {
            (try? world.central.scalar("SELECT acknowledged_seq FROM node WHERE id = 'NODE-A'", as: Int.self)) == newest
        }
        #expect(drained != nil, "\(daemon.stderr)")
        #expect(
            daemon.stderr.contains("central.orphan_ended") && daemon.stderr.contains("cause=connection_lost"),
            "\(daemon.stderr)")
        daemon.send(SIGTERM)
        #expect(daemon.wait() == 0)
        try expectCentralEqualsNode(world, node, "after the frozen network")
        withExtendedLifetime(proxy) {}
    }
}
