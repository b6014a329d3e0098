import Central
import Foundation
import MySQLClient
import SyncEngine
import SyncWire
import Synchronization
import TestSupport
import Testing

@testable import Ticketing

#if canImport(Glibc)
    import Glibc
#endif

/// Central on a three-member MariaDB Galera cluster (`Scripts/galera-sandbox`): nodes fail over
/// between members, ride out the whole cluster turning read-only, and reconcile clean. The tests
/// take turns: each changes the cluster (kills, isolates, sets read-only) and restores it.
@Suite(.serialized) struct GaleraClusterTests {
    /// Two nodes push through different members; the member one of them uses is killed with
    /// SIGKILL and brought back. Both keep draining (the first through the next member in its
    /// URL), central ends with exactly what each node sold, and a full reconcile is clean.
    @Test func nodesRideOutTheirMemberKilledAndBroughtBack() throws {
        let world = try ClusterWorld()
        let a = try world.makeNode("NODE-A")
        let b = try world.makeNode("NODE-B")
        let daemonA = try world.startDaemon(a, members: [1, 2, 3])
        let daemonB = try world.startDaemon(b, members: [2, 3, 1])
        // Beyond the client's read timeout (30 s): a loaded cluster may hold a first push that long,
        // and the daemon then moves on to the next member of its URL.
        for daemon in [daemonA, daemonB] {
            #expect(waitUntil(timeout: 90) { daemon.mode() == "writable" } != nil, "\(daemon.process.stderr)")
        }
        // The member NODE-A works on (its first in the URL, or the next if the first held it up),
        // and the next one in its URL, where it goes when that one dies.
        let members = world.cluster.members
        let used = try #require(daemonA.member().flatMap { members.firstIndex(of: $0) }, "\(daemonA.process.stderr)")
        let next = (used + 1) % members.count
        func sellAndDrain(_ count: Int, _ moment: String) throws {
            for _ in 0..<count {
                try a.sell("BIG", "FLOOR")
                try b.sell("BIG", "FLOOR")
            }
            for (daemon, node) in [(daemonA, a), (daemonB, b)] {
                #expect(
                    waitUntil(timeout: 60) { daemon.pending() == 0 } != nil,
                    "\(moment): \(daemon.process.stderr.suffix(3000))")
                #expect(try world.centralOrders(node) == node.orders(), "\(moment)")
            }
        }
        try sellAndDrain(10, "before the kill")

        try world.cluster.kill(member: used + 1)
        try sellAndDrain(10, "NODE-A's member killed")
        #expect(
            waitUntil(timeout: 10) { daemonA.member() == members[next] } != nil,
            "the member after the lost one")
        #expect(daemonA.process.stderr.contains("central.failover"), "\(daemonA.process.stderr.suffix(3000))")
        let metrics = Network.get(port: daemonA.port, path: "/metrics")?.body ?? ""
        #expect(
            metrics.contains("venue_sync_central_member{node=\"NODE-A\",member=\"\(members[next])\"} 1"),
            "\(metrics)")

        let nodes = try ProcessRunner.run(
            ProcessRunner.product("central"), ["nodes"],
            environment: world.cluster.environment(url: world.url([1, 2, 3])))
        // `central nodes` with the URL's order 1, 2, 3: the killed member down, the next read.
        let lines = nodes.stdout.split(separator: "\n").filter { $0.hasPrefix("127.0.0.1:") }
        let read = used == 0 ? 1 : 0
        #expect(
            nodes.status == 0 && lines.count == 3 && lines[used].contains("down: ")
                && lines.indices.allSatisfy { $0 == used || lines[$0].contains("Synced") }
                && lines[read].hasSuffix("(read here)"),
            "\(nodes.stdout)\(nodes.stderr)")
        try world.cluster.revive(member: used + 1)
        try sellAndDrain(10, "NODE-A's member back")
        for node in [a, b] { try world.expectNothingLostOrDoubled(node) }

        let reconcile = try ProcessRunner.run(
            ProcessRunner.product("central"), ["reconcile"],
            environment: world.cluster.environment(url: world.url([1, 2, 3])))
        #expect(reconcile.status == 0, "\(reconcile.stdout)\(reconcile.stderr)")
        #expect(reconcile.stderr.contains("central: on member "), "\(reconcile.stderr)")
        daemonA.process.send(SIGTERM)
        daemonB.process.send(SIGTERM)
        #expect(daemonA.process.wait() == 0 && daemonB.process.wait() == 0)
    }

    /// One member set read-only is passed over; the whole cluster set read-only (the plan's
    /// rollback) makes the node keep its outbox until every member is writable again.
    @Test func aReadOnlyMemberIsPassedOverAndAReadOnlyClusterWaitedOut() throws {
        let world = try ClusterWorld()
        let node = try world.makeNode("NODE-A")
        let daemon = try world.startDaemon(node, members: [1, 2, 3])
        #expect(waitUntil(timeout: 30) { daemon.mode() == "writable" } != nil, "\(daemon.process.stderr)")
        defer { try? world.cluster.sqlOnEveryMember("SET GLOBAL read_only = OFF") }

        try world.cluster.sql("SET GLOBAL read_only = ON", member: 1)
        for _ in 0..<5 { try node.sell("BIG", "FLOOR") }
        #expect(waitUntil(timeout: 30) { daemon.pending() == 0 } != nil, "\(daemon.process.stderr.suffix(3000))")
        #expect(
            waitUntil(timeout: 10) { daemon.member() == world.cluster.members[1] && daemon.mode() == "writable" }
                != nil,
            "\(daemon.member() ?? "") \(daemon.process.stderr.suffix(3000))")

        try world.cluster.sqlOnEveryMember("SET GLOBAL read_only = ON")
        try node.sell("BIG", "FLOOR")
        #expect(waitUntil(timeout: 30) { daemon.mode() == "read_only" } != nil, "\(daemon.process.stderr)")
        for _ in 0..<5 { try node.sell("BIG", "FLOOR") }
        #expect(waitUntil(timeout: 10) { daemon.pending() == 6 } != nil)
        try world.cluster.sqlOnEveryMember("SET GLOBAL read_only = OFF")
        #expect(
            waitUntil(timeout: 60) { daemon.mode() == "writable" && daemon.pending() == 0 } != nil,
            "\(daemon.process.stderr.suffix(3000))")
        try world.expectNothingLostOrDoubled(node)
        daemon.process.send(SIGTERM)
        #expect(daemon.process.wait() == 0)
    }

    /// `central metrics --http` keeps its connection between scrapes: when its member is set
    /// read-only it moves to a writable one, as the nodes do, and says central is read-only only
    /// while every member is.
    @Test func theFleetMetricsLeaveAReadOnlyMemberAndTellAReadOnlyCluster() throws {
        let world = try ClusterWorld()
        let port = Network.freePort()
        let exporter = try BackgroundProcess(
            ProcessRunner.product("central"), ["metrics", "--http", "127.0.0.1:\(port)"],
            environment: world.cluster.environment(url: world.url([1, 2, 3])), logDirectory: world.directory.path)
        defer {
            exporter.send(SIGTERM)
            exporter.wait()
        }
        func readOnly() -> Double? {
            FleetMetricsTests.value(
                "venue_central_read_only", in: Network.get(port: port, path: "/metrics")?.body ?? "")
        }
        #expect(waitUntil(timeout: 20) { readOnly() == 0 } != nil, "\(exporter.stderr)")
        defer { try? world.cluster.sqlOnEveryMember("SET GLOBAL read_only = OFF") }

        try world.cluster.sql("SET GLOBAL read_only = ON", member: 1)
        for _ in 0..<3 { #expect(readOnly() == 0, "\(exporter.stderr)") }
        try world.cluster.sqlOnEveryMember("SET GLOBAL read_only = ON")
        #expect(readOnly() == 1, "\(exporter.stderr)")
        try world.cluster.sqlOnEveryMember("SET GLOBAL read_only = OFF")
        #expect(readOnly() == 0, "\(exporter.stderr)")
    }

    /// A member that leaves the primary component mid-session answers 1047: the work moves to the
    /// next member in the same cycle. A member that is not Synced is passed over when connecting.
    @Test func aMemberOutOfThePrimaryComponentIsLeftAtOnce() throws {
        let world = try ClusterWorld()
        let node = try world.makeNode("NODE-A")
        let central = MySQLCentral(configuration: try world.configuration([1, 2, 3]))
        var events = [String]()
        central.onEvent = { event, fields in events.append("\(event) \(fields["member"] ?? fields["from"] ?? "")") }
        let engine = SyncEngine(node: node.node, central: central, batchSize: 100)
        #expect(engine.cycle().member == world.cluster.members[0])

        try world.cluster.isolate(member: 1)
        defer { try? world.cluster.rejoin(member: 1) }
        for _ in 0..<5 { try node.sell("BIG", "FLOOR") }
        let moved = engine.cycle()
        #expect(moved.mode == .writable && moved.pushed == 5, "\(moved.error ?? "") \(events)")
        #expect(moved.member == world.cluster.members[1], "\(events)")
        #expect(events.contains("central.failover \(world.cluster.members[0])"), "\(events)")
        try world.cluster.rejoin(member: 1)

        try world.cluster.sql("SET GLOBAL wsrep_desync = ON", member: 1)
        defer { try? world.cluster.sql("SET GLOBAL wsrep_desync = OFF", member: 1) }
        let connection = try MySQLConnection(try world.configuration([1, 2, 3]))
        #expect(connection.member.description == world.cluster.members[1])
        #expect(
            connection.skippedMembers.map(\.reason) == ["wsrep_local_state_comment is Donor/Desynced"],
            "\(connection.skippedMembers)")
        try world.cluster.sql("SET GLOBAL wsrep_desync = OFF", member: 1)
        try world.expectNothingLostOrDoubled(node)
    }

    /// The whole cluster read-only (the plan's rollback): the node keeps its session on a
    /// read-only member and tells of no failover, cycle after cycle; when a member is writable
    /// again, the next look finds it and the outbox drains there.
    @Test func aClusterReadOnlyEverywhereKeepsOneSessionAndReportsNoFailover() throws {
        let world = try ClusterWorld()
        let node = try world.makeNode("NODE-A")
        let central = MySQLCentral(configuration: try world.configuration([1, 2, 3]))
        var events = [String]()
        central.onEvent = { event, _ in events.append(event) }
        let engine = SyncEngine(node: node.node, central: central, batchSize: 100)
        #expect(engine.cycle().mode == .writable)

        try world.cluster.sqlOnEveryMember("SET GLOBAL read_only = ON")
        defer { try? world.cluster.sqlOnEveryMember("SET GLOBAL read_only = OFF") }
        for _ in 0..<3 {
            try node.sell("BIG", "FLOOR")
            let refused = engine.cycle()
            #expect(refused.mode == .readOnly, "\(refused.error ?? "") \(events)")
        }
        #expect(!events.contains("central.failover"), "\(events)")
        #expect(events.filter { $0 == "central.connected" }.count == 2, "\(events)")

        try world.cluster.sql("SET GLOBAL read_only = OFF", member: 3)
        central.writableMemberLookInterval = .zero
        let moved = engine.cycle()
        #expect(moved.mode == .writable && moved.pushed == 3, "\(moved.error ?? "") \(events)")
        #expect(moved.member == world.cluster.members[2], "\(events)")
        #expect(events.filter { $0 == "central.failover" }.count == 1, "\(events)")
        try world.cluster.sqlOnEveryMember("SET GLOBAL read_only = OFF")
        try world.expectNothingLostOrDoubled(node)
    }

    /// Galera's certification failure (a conflicting write committed first through another
    /// member) reaches the client as a deadlock (1213), which every caller retries.
    @Test func aCertificationFailureIsADeadlock() throws {
        let world = try ClusterWorld()
        let first = try MySQLConnection(try world.configuration([1]))
        let second = try MySQLConnection(try world.configuration([2]))
        try first.executeScript("CREATE TABLE certified (id INT NOT NULL PRIMARY KEY, v INT NOT NULL) ENGINE = InnoDB")
        try first.execute("INSERT INTO certified VALUES (1, 0)")
        // Both members hold the row before the race (causal reads wait for it on the second).
        #expect(try second.scalar("SELECT v FROM certified WHERE id = 1", as: Int.self) == 0)
        do {
            try first.transaction {
                try first.execute("UPDATE certified SET v = 1 WHERE id = 1")
                try second.execute("UPDATE certified SET v = 2 WHERE id = 1")
            }
            Issue.record("the transaction on the first member committed over the second's")
        } catch let error as MySQLError {
            #expect(error.kind == .deadlock, "\(error)")
        }
        #expect(try first.scalar("SELECT v FROM certified WHERE id = 1", as: Int.self) == 2)
    }
}

extension GaleraClusterTests {
    /// A push whose transaction loses certification to a write committed first through another
    /// member gets 1213 and is redone at once, in the same cycle. The push is held mid-transaction
    /// by an uncommitted row it must insert; the other member then updates the node's row.
    @Test func aPushThatLosesCertificationIsRedoneAtOnce() throws {
        let world = try ClusterWorld()
        let node = try world.makeNode("NODE-A")
        let central = MySQLCentral(configuration: try world.configuration([1]))
        let events = Mutex([String]())
        central.onEvent = { event, _ in events.withLock { $0.append(event) } }
        let engine = SyncEngine(node: node.node, central: central, batchSize: 100)
        #expect(engine.cycle().mode == .writable)
        try node.sell("BIG", "FLOOR")
        let seq = try node.count("SELECT max(seq) FROM sync_outbox")

        let blocker = try MySQLConnection(try world.configuration([1]))
        try blocker.executeScript("START TRANSACTION")
        try blocker.execute(
            """
            INSERT INTO sync_inbox (node_id, epoch, seq, record_type, entity_id, status, created_at, received_at)
            VALUES ('NODE-A', 1, ?, 'order.placed', 'blocker', 'applied', NOW(3), NOW(3))
            """, [seq])
        let watcher = try MySQLConnection(try world.configuration([1]))
        func pushWaits() throws -> Bool {
            try watcher.scalar(
                "SELECT COUNT(*) FROM information_schema.processlist WHERE db = DATABASE() AND info LIKE 'INSERT INTO sync_inbox%'",
                as: Int.self) == 1
        }
        let report = Mutex<CycleReport?>(nil)
        let done = DispatchSemaphore(value: 0)
        nonisolated(unsafe) let unsafeEngine = engine
        Thread {
            let outcome = unsafeEngine.cycle()
            report.withLock { $0 = outcome }
            done.signal()
        }.start()
        #expect(try waitUntil(timeout: 30) { try pushWaits() } != nil, "the push never waited on the blocker")
        let other = try MySQLConnection(try world.configuration([2]))
        try other.execute("UPDATE node SET last_seen_at = NOW(3) WHERE id = 'NODE-A'")
        #expect(
            waitUntil(timeout: 30) { events.withLock { $0.contains("central.contention_retry") } } != nil,
            "\(events.withLock { $0 })")
        try blocker.executeScript("ROLLBACK")
        #expect(done.wait(timeout: .now() + 60) == .success)
        let outcome = try #require(report.withLock { $0 })
        #expect(outcome.mode == .writable && outcome.error == nil && outcome.pushed == 1, "\(outcome.error ?? "")")
        #expect(central.contentionRetried >= 1)
        try world.expectNothingLostOrDoubled(node)
    }
}

extension GaleraClusterTests {
    /// A member that aborts a transaction for a conflicting write from another member while the
    /// client prepares a statement (a SELECT's causal wait lets the write in) answers the PREPARE
    /// with success and forgets the abort: what the client sends next runs outside the
    /// transaction. Threads on every member each write one id's rows in a transaction whose first
    /// statement updates a row they all update, and prepare statements new to their session in
    /// it, as a push does with its first sales. Every id ends with all its rows or none.
    @Test func aTransactionAbortedWhileAStatementIsPreparedCommitsNothing() throws {
        let world = try ClusterWorld()
        try world.connect().executeScript(
            """
            CREATE TABLE hot (id INT NOT NULL PRIMARY KEY, n INT NOT NULL) ENGINE = InnoDB;
            CREATE TABLE part (id INT NOT NULL, k INT NOT NULL, PRIMARY KEY (id, k)) ENGINE = InnoDB;
            CREATE TABLE done (id INT NOT NULL PRIMARY KEY) ENGINE = InnoDB;
            INSERT INTO hot VALUES (1, 0)
            """)
        let (threads, rounds, parts) = (6, 100, 8)
        let failures = Mutex([String]())
        let retried = Mutex(0)
        let finished = DispatchGroup()
        for thread in 0..<threads {
            finished.enter()
            let configuration = try MySQLConfiguration(
                url: world.url([thread % 3 + 1]) + "?read_timeout=10",
                environment: world.cluster.environment(url: world.url([1])))
            Thread {
                defer { finished.leave() }
                do {
                    var connection = try MySQLConnection(configuration)
                    for round in 0..<rounds {
                        let id = thread * rounds + round
                        var attempt = 0
                        while true {
                            do {
                                try connection.transaction {
                                    try connection.execute("UPDATE hot SET n = n + 1 WHERE id = 1")
                                    for part in 0..<parts {
                                        // Texts of their own: prepared inside the transaction.
                                        try connection.execute(
                                            "INSERT INTO part (id, k) VALUES (?, ?) /* \(id) \(part) \(attempt) */",
                                            [id, part])
                                        _ = try connection.scalar(
                                            "SELECT COUNT(*) FROM part WHERE id = ? /* \(id) \(part) \(attempt) */",
                                            [id], as: Int.self)
                                    }
                                    try connection.execute("INSERT INTO done (id) VALUES (?)", [id])
                                }
                                break
                            } catch let error as MySQLError where error.kind == .deadlock && attempt < 500 {
                                attempt += 1
                                retried.withLock { $0 += 1 }
                            } catch let error as MySQLError where error.breaksConnection && attempt < 500 {
                                attempt += 1
                                connection = try MySQLConnection(configuration)
                            }
                        }
                    }
                } catch {
                    failures.withLock { $0.append("thread \(thread): \(error)") }
                }
            }.start()
        }
        #expect(finished.wait(timeout: .now() + 600) == .success)
        #expect(failures.withLock { $0 }.isEmpty, "\(failures.withLock { $0 })")
        let central = try world.connect()
        let halves = try central.rows(
            """
            SELECT p.id, COUNT(*) AS parts, MAX(d.id) IS NOT NULL AS done FROM part p LEFT JOIN done d ON d.id = p.id
            GROUP BY p.id HAVING parts <> ? OR done = 0
            """, [parts]
        ).map {
            "id \(try $0.get(0, as: Int.self)): \(try $0.get(1, as: Int.self)) parts, done \(try $0.get(2, as: Int.self))"
        }
        #expect(halves.isEmpty, "\(halves.count) ids half written: \(halves.prefix(5))")
        #expect(try central.scalar("SELECT COUNT(*) FROM done", as: Int.self) == threads * rounds)
        #expect(
            try central.scalar(
                "SELECT COUNT(*) FROM done d LEFT JOIN part p ON p.id = d.id WHERE p.id IS NULL", as: Int.self)
                == 0)
        // The race happened: the cluster aborted transactions, and the client retried them.
        #expect(retried.withLock { $0 } > 0)
    }
}

/// A fresh central database on the shared cluster, migrated through every member's URL, with
/// ``SyncWorld/fixture`` imported, and nodes and daemons that reach it through chosen members.
final class ClusterWorld {
    let cluster = GaleraSandbox.shared
    let directory = TemporaryDirectory()
    let database: String

    init() throws {
        database = try cluster.freshDatabase()
        let migrate = try ProcessRunner.run(
            ProcessRunner.product("central"), ["migrate"], environment: cluster.environment(url: url([1, 2, 3])))
        try #require(migrate.status == 0, "central migrate: \(migrate.stderr)")
        let file = directory.file("central.json")
        try SyncWorld.fixture.write(toFile: file, atomically: true, encoding: .utf8)
        _ = try CentralCatalog(connection: try connect()).importReference(file: file, now: SystemWallClock().now())
    }

    /// The URL naming the members in `order` (1-based).
    func url(_ order: [Int]) -> String { cluster.url(members: order, database: database) }

    func configuration(_ order: [Int]) throws -> MySQLConfiguration {
        try MySQLConfiguration(url: url(order), environment: cluster.environment(url: url(order)))
    }

    /// A connection through whichever member is ready.
    func connect() throws -> MySQLConnection { try MySQLConnection(try configuration([1, 2, 3])) }

    func makeNode(_ id: String) throws -> SyncNode {
        let path = directory.file("\(id).sqlite")
        _ = try VenueNode.initialize(path: path, nodeID: id, adminName: "root", password: "root-password")
        return try SyncNode(path: path, options: NodeOptions())
    }

    /// `venue-syncd` for `node` with the members in `order`, serving health and metrics.
    func startDaemon(_ node: SyncNode, members order: [Int]) throws -> ClusterDaemon {
        let port = Network.freePort()
        let process = try BackgroundProcess(
            ProcessRunner.product("venue-syncd"),
            ["--db", node.path, "--interval", "200ms", "--max-backoff", "1s", "--http", "127.0.0.1:\(port)"],
            environment: cluster.environment(url: url(order)), logDirectory: directory.path)
        return ClusterDaemon(process: process, port: port)
    }

    func centralOrders(_ node: SyncNode) throws -> [String: String] {
        let central = try connect()
        let id: String = try node.node.settings().nodeID
        return try SyncWorld.orders(
            orders: central.rows("SELECT id, status, total_minor FROM orders WHERE node_id = ?", [id]),
            tickets: central.rows("SELECT code, order_id, status FROM ticket WHERE node_id = ?", [id]),
            payments: central.rows("SELECT order_id, amount_minor, refunded_minor FROM payment WHERE node_id = ?", [id])
        )
    }

    /// Central holds each of the node's outbox records once, and counted each once.
    func expectNothingLostOrDoubled(_ node: SyncNode) throws {
        let central = try connect()
        let id: String = try node.node.settings().nodeID
        let outbox = try node.count("SELECT count(*) FROM sync_outbox")
        let newest = try node.count("SELECT coalesce(max(seq), 0) FROM sync_outbox")
        let row = try #require(
            try central.row("SELECT acknowledged_seq, records_applied FROM node WHERE id = ?", [id]))
        #expect(try row.get("acknowledged_seq", as: Int.self) == newest && row.get("records_applied") == outbox)
        #expect(try central.scalar("SELECT COUNT(*) FROM sync_inbox WHERE node_id = ?", [id]) == outbox)
        #expect(try centralOrders(node) == node.orders())
    }
}

/// A daemon of a cluster test and what its `/health` says.
struct ClusterDaemon {
    let process: BackgroundProcess
    let port: Int

    private func central() -> [String: Any]? {
        let body = Network.get(port: port, path: "/health")?.body ?? ""
        let health = try? JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any]
        return ((health?["components"] as? [String: Any])?["central"] as? [String: Any])?["details"]
            as? [String: Any]
    }

    func mode() -> String? { central()?["mode"] as? String }
    func member() -> String? { central()?["member"] as? String }

    func pending() -> Int? {
        let body = Network.get(port: port, path: "/health")?.body ?? ""
        let health = try? JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any]
        return
            (((health?["components"] as? [String: Any])?["outbox"] as? [String: Any])?["details"]
            as? [String: Any])?["pending"] as? Int
    }
}
