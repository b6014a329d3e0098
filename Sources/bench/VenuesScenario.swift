import CSQLite
import Central
import Foundation
import MySQLClient
import SyncEngine
import SyncWire
import Synchronization
import Ticketing

#if canImport(Glibc)
    import Glibc
#endif

/// `venues`: hundreds of venues at once against one central. Each simulated node is a thread with
/// its own SQLite database and its own central session, selling 10 sales/s and syncing as
/// `venue-syncd` does (a push within 50 ms of a sale, a full cycle of pull and push every 2 s)
/// for a fixed time; then every node drains. Run on the single server, then on a three-member
/// Galera cluster with the nodes spread over the members. Figures: records applied at central
/// per second, the lag from a sale to its row at central (p50/p99, central's `received_at` less
/// the node's `created_at`, one machine and one clock), deadlocks and certification failures
/// retried, cycles that failed. It throws unless every node's sales equal central's.
enum VenuesScenario {
    /// Sales per second of each node.
    static let rate = 10.0
    /// The daemon's default interval between full cycles, and how often it looks for new sales.
    static let interval = 2.0
    static let poll = 0.05

    static func run(quick: Bool, directory: String) throws -> [Figure] {
        // VENUES_NODES and VENUES_SECONDS change the load, to find where it stops keeping up.
        let environment = ProcessInfo.processInfo.environment
        let nodes = environment["VENUES_NODES"].flatMap { Int($0) } ?? (quick ? 10 : 200)
        let duration = environment["VENUES_SECONDS"].flatMap { Double($0) } ?? (quick ? 3.0 : 60.0)
        // VENUES_ONLY=single or VENUES_ONLY=galera runs one half.
        let only = environment["VENUES_ONLY"]
        guard only == nil || only == "single" || only == "galera" else {
            throw BenchError("VENUES_ONLY is '\(only ?? "")': single or galera")
        }
        var figures = [Figure]()
        if only != "galera" {
            let single = try BenchCentral.shared(in: directory).database("venues")
            let singleURL = single.1.description
            figures += try measure(
                label: "single", nodes: nodes, duration: duration, directory: directory + "/venues-single",
                central: single.0, url: { _ in singleURL },
                passwordFile: BenchCentral.shared(in: directory).directory + "/app.password",
                serverPIDs: serverPIDs(under: BenchCentral.shared(in: directory).directory), lagLimit: 2000)
        }
        guard only != "single" else { return figures }
        let cluster = try BenchCluster.shared(in: directory)
        let clustered = try cluster.database("venues")
        figures += try measure(
            label: "galera", nodes: nodes, duration: duration, directory: directory + "/venues-cluster",
            central: clustered.connection, url: clustered.url, passwordFile: cluster.directory + "/app.password",
            serverPIDs: serverPIDs(under: cluster.directory), lagLimit: nil)
        return figures
    }

    /// What the nodes' threads count together.
    struct Tally {
        var sold = 0
        var cycles = 0
        var failedCycles: [String: Int] = [:]
        var contentionRetried = 0
        var failovers = 0
        var drainSeconds = 0.0

        mutating func add(_ other: Tally) {
            sold += other.sold
            cycles += other.cycles
            contentionRetried += other.contentionRetried
            failovers += other.failovers
            drainSeconds = max(drainSeconds, other.drainSeconds)
            for (cause, count) in other.failedCycles { failedCycles[cause, default: 0] += count }
        }
    }

    static func measure(
        label: String, nodes: Int, duration: Double, directory: String, central: MySQLConnection,
        url: @escaping @Sendable (Int) -> String, passwordFile: String, serverPIDs: [Int32], lagLimit: Double?
    ) throws -> [Figure] {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let ids = (1...nodes).map { String(format: "VENUE-%03d", $0) }
        let reference = directory + "/central.json"
        try centralReference(nodes: ids).write(toFile: reference, atomically: true, encoding: .utf8)
        _ = try CentralCatalog(connection: central).importReference(file: reference, now: SystemWallClock().now())

        // A thread per node: it joins and pulls its catalog and allocation, waits for every other
        // node to be ready, sells and syncs until the end, then drains. Its database and session
        // stay on its thread.
        let tally = Mutex(Tally())
        let setupFailures = Mutex([String]())
        let clock = Mutex(0.0)
        let ready = DispatchGroup()
        let go = DispatchSemaphore(value: 0)
        let finished = DispatchGroup()
        for index in 0..<nodes {
            ready.enter()
            finished.enter()
            let thread = Thread {
                defer { finished.leave() }
                var joined: (VenueNode, Operator, MySQLCentral)?
                do {
                    joined = try join(
                        id: ids[index], directory: directory, url: url(index), passwordFile: passwordFile)
                } catch {
                    setupFailures.withLock { $0.append("\(error)") }
                }
                ready.leave()
                go.wait()
                guard let (node, seller, endpoint) = joined, setupFailures.withLock({ $0.isEmpty }) else { return }
                do {
                    let run = try sellAndSync(
                        node: node, seller: seller, endpoint: endpoint, index: index,
                        start: clock.withLock { $0 }, duration: duration)
                    tally.withLock { $0.add(run) }
                } catch {
                    tally.withLock { $0.failedCycles["\(error)", default: 0] += 1 }
                }
            }
            thread.stackSize = 1 << 20
            thread.start()
        }
        ready.wait()
        let start = uptimeSeconds() + 0.2
        clock.withLock { $0 = start }
        let generatorCPU = processCPUSeconds()
        let centralCPU = serverPIDs.map(serverCPUSeconds).reduce(0, +)
        for _ in 0..<nodes { go.signal() }
        finished.wait()
        if let failure = setupFailures.withLock({ $0.first }) { throw BenchError("\(label): \(failure)") }
        let elapsed = uptimeSeconds() - start
        // Where the machine's two cores went: the simulated nodes (this process) and central's servers.
        let generatorCores = (processCPUSeconds() - generatorCPU) / elapsed
        let centralCores = (serverPIDs.map(serverCPUSeconds).reduce(0, +) - centralCPU) / elapsed

        // Nothing lost, nothing doubled: each node's sales and outbox against central's rows and counters.
        var mismatches = [String]()
        let held = try Dictionary(
            uniqueKeysWithValues: central.rows(
                "SELECT node_id, COUNT(*), COALESCE(SUM(total_minor), 0) FROM orders GROUP BY node_id"
            ).map { (try $0.get(0, as: String.self), [try $0.get(1, as: Int64.self), try $0.get(2, as: Int64.self)]) })
        let counters = try Dictionary(
            uniqueKeysWithValues: central.rows("SELECT id, acknowledged_seq, records_applied FROM node").map {
                (try $0.get(0, as: String.self), [try $0.get(1, as: Int64.self), try $0.get(2, as: Int64.self)])
            })
        for id in ids {
            let path = "\(directory)/\(id).sqlite"
            func number(_ sql: String) throws -> Int64 { Int64(try sqliteText(path, sql) ?? "") ?? -1 }
            let sold = [
                try number("SELECT COUNT(*) FROM orders"),
                try number("SELECT COALESCE(SUM(total_minor), 0) FROM orders"),
            ]
            let outbox = [
                try number("SELECT COALESCE(MAX(seq), 0) FROM sync_outbox"),
                try number("SELECT COUNT(*) FROM sync_outbox"),
            ]
            if held[id] != sold || counters[id] != outbox {
                mismatches.append("\(id): node \(sold) \(outbox), central \(held[id] ?? []) \(counters[id] ?? [])")
            }
            try BenchNode.checkInvariants(at: "\(directory)/\(id).sqlite")
        }
        guard mismatches.isEmpty else {
            throw BenchError("\(label): central differs from \(mismatches.count) nodes: \(mismatches.prefix(3))")
        }

        let totals = tally.withLock { $0 }
        let lags = try central.rows(
            "SELECT TIMESTAMPDIFF(MICROSECOND, created_at, received_at) / 1000 FROM orders"
        ).map { try $0.get(0, as: Double.self) }
        let applied = try central.scalar("SELECT COALESCE(SUM(records_applied), 0) FROM node", as: Double.self) ?? 0
        let failed = totals.failedCycles.sorted { $0.key < $1.key }.map { "\($0.value) \($0.key)" }
        let target = rate * Double(nodes)
        return [
            Figure(
                name: "\(label): \(nodes) nodes, sales made", unit: "sales/s",
                value: Double(totals.sold) / duration, baseline: target, baselineName: "offered", target: nil),
            Figure(
                name: "\(label): records applied at central", unit: "records/s", value: applied / elapsed,
                baseline: target, baselineName: "offered", target: nil),
            Figure(
                name: "\(label): sale → central lag, p99", unit: "ms", value: percentile(lags, 99),
                baseline: interval * 1000,
                baselineName:
                    "the interval (p50 \(Figure.number(percentile(lags, 50))), max \(Figure.number(lags.max() ?? 0)))",
                target: nil, lowerIsBetter: true, limit: lagLimit),
            .note(
                "\(label): \(totals.sold) sales, all at central once; \(totals.cycles) cycles, "
                    + "\(totals.contentionRetried) deadlocks/certification failures retried, \(totals.failovers) failovers, "
                    + "failed cycles: \(failed.isEmpty ? "none" : failed.joined(separator: ", ")); "
                    + "slowest drain after the run \(Figure.number(totals.drainSeconds)) s; CPU: the nodes "
                    + "\(Figure.number(generatorCores)) cores, central \(Figure.number(centralCores)) cores"),
        ]
    }

    /// A node database for `id` that has joined central and pulled its catalog and allocation.
    static func join(id: String, directory: String, url: String, passwordFile: String) throws -> (
        VenueNode, Operator, MySQLCentral
    ) {
        let path = "\(directory)/\(id).sqlite"
        let options = NodeOptions(durability: .normal)
        _ = try VenueNode.initialize(
            path: path, nodeID: id, adminName: "root", password: "bench-password", options: options)
        let node = try VenueNode.open(path: path, options: options)
        guard let admin = try sqliteText(path, "SELECT id FROM staff WHERE name = 'root'") else {
            throw BenchError("\(id) has no admin")
        }
        let endpoint = MySQLCentral(
            configuration: try MySQLConfiguration(url: url, environment: ["CENTRAL_PASSWORD_FILE": passwordFile]))
        let engine = SyncEngine(node: node, central: endpoint, batchSize: 500)
        // The first cycle pulls the allocation; the second pushes the node's answer to it. A cycle
        // that meets a deadlock or a cluster's certification failure (every node publishing its
        // signing key at once) is run again, as the daemon runs it at its next interval.
        var (synced, attempts) = (0, 0)
        while synced < 2 {
            let report = engine.cycle()
            attempts += 1
            if report.mode == .writable, report.error == nil {
                synced += 1
            } else if report.mode != .writable || attempts >= 20 {
                throw BenchError("\(id) did not join: \(report.error ?? report.mode.rawValue)")
            }
        }
        return (node, Operator(id: admin, name: "root", role: .admin), endpoint)
    }

    /// Sells `rate` sales a second from `start` for `duration` seconds, pushing within `poll` of
    /// each sale and running a full cycle every `interval`, as `venue-syncd` does; then drains.
    static func sellAndSync(
        node: VenueNode, seller: Operator, endpoint: MySQLCentral, index: Int, start: Double, duration: Double
    ) throws -> Tally {
        let engine = SyncEngine(node: node, central: endpoint, batchSize: 500)
        var tally = Tally()
        func note(_ report: CycleReport) {
            tally.cycles += 1
            if report.error != nil { tally.failedCycles[report.cause ?? "?", default: 0] += 1 }
        }
        // Each node starts at its own moment within the first second, as venues do.
        let phase = Double(index % 100) / 100
        let end = start + duration
        let wait = start - uptimeSeconds()
        if wait > 0 { usleep(UInt32(wait * 1_000_000)) }
        var nextCycle = start + phase + interval
        while uptimeSeconds() < end {
            let now = uptimeSeconds()
            let due = min(Int(rate * duration), max(0, Int(((now - start - phase) * rate).rounded(.down)) + 1))
            var sold = false
            while tally.sold < due {
                _ = try node.sales.sell(
                    SaleRequest(
                        eventID: "TOUR", categoryCode: "GA", selection: .quantity(1),
                        payment: PaymentRequest(method: .cash)), by: seller)
                tally.sold += 1
                sold = true
            }
            if now >= nextCycle {
                note(engine.cycle())
                nextCycle += interval
            } else if sold {
                note(engine.pushPending())
            }
            let pause = min(poll, end - uptimeSeconds())
            if pause > 0 { usleep(UInt32(pause * 1_000_000)) }
        }
        // Drain: what is still in the outbox goes now, as the daemon's next cycles would send it.
        let draining = uptimeSeconds()
        while try node.sync.status().outboxPending > 0, uptimeSeconds() - draining < 120 {
            let report = engine.cycle()
            note(report)
            if report.error != nil { usleep(100_000) }
        }
        tally.drainSeconds = uptimeSeconds() - draining
        tally.contentionRetried = endpoint.contentionRetried
        tally.failovers = endpoint.failovers
        return tally
    }

    /// CPU seconds (user and system) this process has used.
    static func processCPUSeconds() -> Double {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec)
            + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6
    }

    /// CPU seconds (user and system) process `pid` has used (`/proc/PID/stat`), 0 when unknown.
    static func serverCPUSeconds(_ pid: Int32) -> Double {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let close = stat.lastIndex(of: ")")
        else { return 0 }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        guard fields.count > 13, let user = Double(fields[11]), let system = Double(fields[12]) else { return 0 }
        return (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
    }

    /// The pids in the `mysqld.pid` files under `directory` (a sandbox's, or each cluster member's).
    static func serverPIDs(under directory: String) -> [Int32] {
        let files =
            FileManager.default.enumerator(atPath: directory)?.compactMap { $0 as? String }
            .filter { $0.hasSuffix("mysqld.pid") } ?? []
        return files.compactMap { file in
            (try? String(contentsOfFile: directory + "/" + file, encoding: .utf8)).flatMap {
                Int32($0.trimmingCharacters(in: .whitespacesAndNewlines))
            }
        }
    }

    /// The first column of the first row of `sql` in the SQLite database at `path`, read-only.
    static func sqliteText(_ path: String, _ sql: String) throws -> String? {
        var db: OpaquePointer?
        guard sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, nil) == SQLITE_OK else {
            sqlite3_close(db)
            throw BenchError("cannot open \(path)")
        }
        defer { sqlite3_close(db) }
        sqlite3_busy_timeout(db, 10_000)
        var statement: OpaquePointer?
        guard sqlite3_prepare_v2(db, sql, -1, &statement, nil) == SQLITE_OK else {
            throw BenchError("\(sql): \(String(cString: sqlite3_errmsg(db)))")
        }
        defer { sqlite3_finalize(statement) }
        guard sqlite3_step(statement) == SQLITE_ROW, let text = sqlite3_column_text(statement, 0) else { return nil }
        return String(cString: text)
    }

    /// One tour event with a GA category shared by every node, each allocated an equal quota.
    static func centralReference(nodes: [String]) -> String {
        let allocations = nodes.map {
            "{ \"node\": \"\($0)\", \"event\": \"TOUR\", \"category\": \"GA\", \"quota\": 100000 }"
        }
        return """
            { "format": "venue-reference/1", "parameters": { "currency": "EUR" },
              "venues": [ { "id": "STADIUM", "name": "Tour Stadium", "timezone": "UTC",
                            "sections": [ { "code": "MAIN", "rows": [ { "labels": "A", "seats": 1 } ] } ] } ],
              "events": [ { "id": "TOUR", "venue": "STADIUM", "name": "Tour Night", "starts_at": "2035-06-01T19:00:00Z",
                            "status": "on_sale",
                            "categories": [ { "code": "GA", "name": "Standing", "kind": "ga", "price_minor": 4500,
                                              "capacity": \(100_000 * nodes.count) } ] } ],
              "allocations": [ \(allocations.joined(separator: ", ")) ],
              "staff": [] }
            """
    }
}
