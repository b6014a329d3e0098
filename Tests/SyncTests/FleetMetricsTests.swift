import Central
import Foundation
import SyncWire
import Synchronization
import TestSupport
import Testing
import Ticketing

#if canImport(Glibc)
    import Glibc
#endif

/// `central metrics` (the fleet as central sees it, for Prometheus), the node's added metrics and
/// `central nodes --watch`, on real processes against a real central.
@Suite struct FleetMetricsTests {
    static let helpers = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Helpers").path

    /// `promtool check metrics` on `text`: nil when clean, else what it says.
    static func promtoolProblems(_ text: String) throws -> String? {
        let check = try ProcessRunner.run("/usr/bin/promtool", ["check", "metrics"], stdin: text)
        return check.status == 0 && check.stdout.isEmpty && check.stderr.isEmpty ? nil : check.stdout + check.stderr
    }

    /// The value of the sample `series` (name and labels as written) in `text`.
    static func value(_ series: String, in text: String) -> Double? {
        text.split(separator: "\n").first { $0.hasPrefix(series + " ") }.flatMap {
            Double($0.dropFirst(series.count + 1).replacingOccurrences(of: "+Inf", with: "inf"))
        }
    }

    @Test func centralTellsEachNodeTheReconcileRunsAndTheOpenDiscrepancies() throws {
        let world = try SyncWorld()
        let a = try world.makeNode("NODE-A")
        #expect(try world.syncOnce(a).status == 0)
        try a.sell("BIG", "FLOOR")
        #expect(try world.syncOnce(a).status == 0)
        // A node a day behind: reconcile records its clock as a discrepancy (no event).
        let b = try world.makeNode("NODE-B")
        #expect(try world.syncOnce(b, clock: "-1d").status == 0)
        #expect(try world.central(["reconcile"]).status == 10)
        #expect(try world.central(["reconcile", "--since", "last"]).status == 10)
        // NODE-B's signing key went to every node: A pulls it, and is behind by nothing.
        #expect(try world.syncOnce(a).status == 0)

        let scrape = try world.central(["metrics"])
        #expect(scrape.status == 0, "\(scrape.stderr)")
        let text = scrape.stdout
        let problems = try Self.promtoolProblems(text)
        #expect(problems == nil, "\(problems ?? "")")
        #expect(Self.value("venue_central_up", in: text) == 1)
        #expect(Self.value("venue_central_read_only", in: text) == 0)
        #expect(Self.value("venue_central_schema_version", in: text) == Double(CentralSchema.migrations.count))
        let a1 = "{node=\"NODE-A\"}"
        #expect(Self.value("venue_fleet_node_epoch\(a1)", in: text) == 1)
        #expect(
            Self.value("venue_fleet_node_protocol_version\(a1)", in: text) == Double(SyncProtocolVersion.current))
        #expect(
            Self.value("venue_fleet_node_records_applied_total\(a1)", in: text)
                == Double(try a.count("SELECT count(*) FROM sync_outbox")))
        #expect(Self.value("venue_fleet_node_outbox_records\(a1)", in: text) == 0)
        #expect(Self.value("venue_fleet_node_parked_records\(a1)", in: text) == 0)
        #expect(Self.value("venue_fleet_node_changes_behind\(a1)", in: text) == 0)
        #expect(Self.value("venue_fleet_node_pull_lag_seconds\(a1)", in: text) == 0)
        #expect(Self.value("venue_fleet_node_last_push_age_seconds\(a1)", in: text).map { $0 < 3600 } == true)
        #expect(Self.value("venue_fleet_node_sync_mode{node=\"NODE-A\",mode=\"writable\"}", in: text) == 1)
        #expect(Self.value("venue_fleet_node_sync_mode{node=\"NODE-A\",mode=\"silent\"}", in: text) == 0)
        #expect(
            Self.value("venue_fleet_node_clock_offset_seconds{node=\"NODE-B\"}", in: text).map { $0 < -86_000 }
                == true, "\(text)")
        #expect(
            Self.value(
                "venue_reconcile_open_discrepancies{node=\"NODE-B\",class=\"node_clock_skew\",severity=\"warning\",status=\"open\"}",
                in: text) == 1, "\(text)")
        for scope in ["full", "incremental"] {
            #expect(
                Self.value("venue_reconcile_last_run_age_seconds{scope=\"\(scope)\"}", in: text).map { $0 < 3600 }
                    == true)
            #expect(Self.value("venue_reconcile_last_run_timestamp_seconds{scope=\"\(scope)\"}", in: text) != nil)
            // A run reads central with dozens of queries: its recorded length is never nothing.
            #expect(
                Self.value("venue_reconcile_last_run_duration_seconds{scope=\"\(scope)\"}", in: text).map { $0 > 0 }
                    == true, "\(text)")
        }
    }

    /// A change central holds for a node that has not pulled it shows as the node's pull lag, on
    /// central's clock from when the change was made; none once the node pulled it.
    @Test func aChangeTheNodeHasNotPulledShowsHowLongItWaited() throws {
        let world = try SyncWorld()
        let a = try world.makeNode("NODE-A")
        #expect(try world.syncOnce(a).status == 0)
        // NODE-B's signing key goes to every node: a change NODE-A has not pulled yet.
        let b = try world.makeNode("NODE-B")
        #expect(try world.syncOnce(b).status == 0)
        let made = try #require(
            try world.central.scalar(
                """
                SELECT CAST(MIN(created_at) AS CHAR) FROM change_log
                WHERE seq > (SELECT pull_cursor FROM node WHERE id = 'NODE-A') AND node_id IN ('', '*', 'NODE-A')
                """, as: String.self
            ).flatMap { Timestamp(sqlText: $0) })
        let report = NodesReport(connection: world.central)
        let waiting = try #require(try report.nodes(now: made.adding(seconds: 90)).first { $0.id == "NODE-A" })
        #expect(waiting.changesBehind > 0 && waiting.pullLagSeconds == 90, "\(waiting)")

        #expect(try world.syncOnce(a).status == 0)
        let pulled = try #require(try report.nodes(now: made.adding(seconds: 90)).first { $0.id == "NODE-A" })
        #expect(pulled.changesBehind == 0 && pulled.pullLagSeconds == 0, "\(pulled)")
    }

    @Test func aCentralWithNoNodeAndNoRunSaysSoAndAReadOnlyOneToo() throws {
        let world = try SyncWorld(privateServer: true)
        let empty = try world.central(["metrics"]).stdout
        #expect(try Self.promtoolProblems(empty) == nil)
        #expect(Self.value("venue_reconcile_last_run_age_seconds{scope=\"full\"}", in: empty) == .infinity)
        #expect(!empty.contains("venue_reconcile_last_run_duration_seconds{"))
        #expect(!empty.contains("venue_fleet_node_epoch{"))
        try world.server.sql("SET GLOBAL read_only = ON")
        defer { try? world.server.sql("SET GLOBAL read_only = OFF") }
        let readOnly = try world.central(["metrics"])
        #expect(readOnly.status == 0, "\(readOnly.stderr)")
        #expect(Self.value("venue_central_read_only", in: readOnly.stdout) == 1)
    }

    /// `central metrics --http` over a central of its own (`world`'s private server) that knows
    /// NODE-A, synced once; the process and its port.
    static func servedMetrics(_ world: SyncWorld) throws -> (server: BackgroundProcess, port: Int) {
        let node = try world.makeNode("NODE-A")
        #expect(try world.syncOnce(node).status == 0)
        let port = Network.freePort()
        let server = try BackgroundProcess(
            ProcessRunner.product("central"), ["metrics", "--http", "127.0.0.1:\(port)"],
            environment: world.environment, logDirectory: world.directory.path)
        return (server, port)
    }

    /// A scrape central cannot answer reads `venue_central_up 0` (and is logged); the next one
    /// that can reads everything again.
    @Test func theServedMetricsSurviveCentralGoingAwayAndComingBack() throws {
        let world = try SyncWorld(privateServer: true)
        let (server, port) = try Self.servedMetrics(world)
        func scrape() -> String { Network.get(port: port, path: "/metrics")?.body ?? "" }
        #expect(waitUntil(timeout: 20) { scrape().contains("venue_fleet_node_epoch{node=\"NODE-A\"} 1") } != nil)
        try world.server.stop()
        let down = scrape()
        #expect(
            down == "# HELP venue_central_up 1 when central answered this scrape, 0 when it could not be read.\n"
                + "# TYPE venue_central_up gauge\nvenue_central_up 0\n")
        #expect(server.stderr.contains("metrics.central_unreadable"), "\(server.stderr)")
        try world.server.start()
        #expect(waitUntil(timeout: 20) { scrape().contains("\nvenue_central_up 1\n") } != nil, "\(server.stderr)")
        #expect(Network.get(port: port, path: "/nope")?.status == 404)
        server.send(SIGTERM)
        #expect(server.wait() == 0, "\(server.stderr)")
        #expect(server.stderr.contains("metrics.stopped"))
    }

    /// A scrape of a central that stopped answering (its server frozen, the kept connection open)
    /// reads `venue_central_up 0` within Prometheus' default scrape timeout (10 s), so that
    /// VenueCentralUnreadable can fire: the exporter waits 5 s for central unless its URL says.
    @Test func aScrapeOfAFrozenCentralAnswersWithinTheScrapeTimeout() throws {
        let world = try SyncWorld(privateServer: true)
        let (server, port) = try Self.servedMetrics(world)
        #expect(
            waitUntil(timeout: 20) {
                Network.get(port: port, path: "/metrics")?.body.contains("venue_central_up 1") == true
            }
                != nil)
        let pidText = try String(contentsOfFile: world.server.directory + "/mysqld.pid", encoding: .utf8)
        let mysqld = try #require(pid_t(pidText.trimmingCharacters(in: .whitespacesAndNewlines)))
        // Three scrapes at once (two Prometheus servers and an engineer's curl) share one reading:
        // none waits for another's.
        kill(mysqld, SIGSTOP)
        let answers = Mutex([String]())
        atOnce(3) { _ in
            let frozen = Network.get(port: port, path: "/metrics", timeout: 9)
            answers.withLock { $0.append(frozen?.body ?? "no answer") }
        }
        kill(mysqld, SIGCONT)
        let frozen = answers.withLock { $0 }
        #expect(
            frozen.count == 3 && frozen.allSatisfy { $0.contains("\nvenue_central_up 0\n") },
            "\(frozen) \(server.stderr)")
        #expect(
            waitUntil(timeout: 30) {
                Network.get(port: port, path: "/metrics")?.body.contains("venue_central_up 1") == true
            }
                != nil, "\(server.stderr)")
        server.send(SIGTERM)
        #expect(server.wait() == 0, "\(server.stderr)")
    }

    @Test func theNodeTellsItsDiskAndItsEmailsAndItsClock() throws {
        let world = try SyncWorld()
        let node = try world.makeNode("NODE-A")
        #expect(try world.syncOnce(node).status == 0)
        _ = try node.node.sales.sell(
            SaleRequest(
                eventID: "BIG", categoryCode: "FLOOR", selection: .quantity(1), payment: PaymentRequest(method: .cash),
                customer: CustomerDetails(email: "fan@example.org")), by: node.admin)
        let spool = world.directory.file("spool")
        let port = Network.freePort()
        let daemon = try world.startDaemon(
            node, ["--http", "127.0.0.1:\(port)", "--interval", "200ms", "--mail", "spool:\(spool)"])
        var text = ""
        let delivered = waitUntil(timeout: 20) {
            text = Network.get(port: port, path: "/metrics")?.body ?? ""
            return text.contains("venue_email_deliveries_total{node=\"NODE-A\",result=\"delivered\"} 1\n")
        }
        #expect(delivered != nil, "\(text)\(daemon.stderr)")
        let problems = try Self.promtoolProblems(text)
        #expect(problems == nil, "\(problems ?? "")")
        var disk = statvfs()
        #expect(statvfs(world.directory.path, &disk) == 0)
        #expect(
            Self.value("venue_node_disk_size_bytes{node=\"NODE-A\"}", in: text)
                == Double(Int64(disk.f_blocks) * Int64(disk.f_frsize)))
        #expect(Self.value("venue_node_disk_available_bytes{node=\"NODE-A\"}", in: text).map { $0 > 0 } == true)
        #expect(Self.value("venue_node_disk_threshold_bytes{node=\"NODE-A\"}", in: text) == Double(100 * 1024 * 1024))
        #expect(Self.value("venue_sync_epoch{node=\"NODE-A\"}", in: text) == 1)
        #expect(Self.value("venue_sync_clock_offset_seconds{node=\"NODE-A\"}", in: text) != nil)
        for result in ["failed", "retrying"] {
            #expect(Self.value("venue_email_deliveries_total{node=\"NODE-A\",result=\"\(result)\"}", in: text) == 0)
        }
        daemon.send(SIGTERM)
        #expect(daemon.wait() == 0)
        // Without an email worker there is nothing to count: no email metric says all is well.
        let quiet = try world.startDaemon(node, ["--http", "127.0.0.1:\(port)", "--interval", "200ms"])
        let answered = waitUntil(timeout: 20) {
            text = Network.get(port: port, path: "/metrics")?.body ?? ""
            return !text.isEmpty
        }
        #expect(answered != nil && !text.contains("venue_email_"), "\(text)")
        quiet.send(SIGTERM)
        #expect(quiet.wait() == 0)
    }

    @Test func watchingTheNodesRedrawsThemInPlaceUntilStopped() throws {
        let world = try SyncWorld()
        let output = world.directory.file("terminal")
        let watch = try BackgroundProcess(
            "/usr/bin/python3",
            [
                Self.helpers + "/pty-run.py", output, "40", "160", "--", ProcessRunner.product("central"), "nodes",
                "--watch", "--interval", "100ms",
            ], environment: world.environment, logDirectory: world.directory.path)
        func drawn() -> String { (try? String(contentsOfFile: output, encoding: .utf8)) ?? "" }
        #expect(waitUntil(timeout: 20) { drawn().contains("No node has pushed yet.") } != nil, "\(watch.stderr)")
        let node = try world.makeNode("NODE-A")
        #expect(try world.syncOnce(node).status == 0)
        #expect(waitUntil(timeout: 20) { drawn().contains("NODE-A") } != nil, "\(drawn())")
        watch.send(SIGTERM)
        watch.wait()
        // Each frame starts at the top left corner, writes each line over the old one and clears
        // what is left below: the last frame holds the node, the first did not.
        let frames = drawn().components(separatedBy: "\u{1B}[H").dropFirst()
        #expect(frames.count >= 2)
        #expect(frames.allSatisfy { $0.hasPrefix("central nodes, every 100ms, at ") && $0.contains("\u{1B}[K\r\n") })
        #expect(frames.first?.contains("No node has pushed yet.\u{1B}[K\u{1B}[J") == true)
        #expect(frames.contains { $0.contains("\r\nNODE-A ") && $0.hasSuffix("\u{1B}[K\u{1B}[J") })

        // A terminal too short for the table: the lines that do not fit are counted, not scrolled.
        let short = world.directory.file("short-terminal")
        let cut = try ProcessRunner.run(
            "/usr/bin/python3",
            [
                Self.helpers + "/pty-run.py", short, "4", "160", "--", ProcessRunner.product("central"), "nodes",
                "--watch", "--iterations", "1",
            ], environment: world.environment)
        #expect(cut.status == 0, "\(cut.stderr)")
        let screen = try String(contentsOfFile: short, encoding: .utf8)
        #expect(screen.contains("\u{1B}[K\r\n… 2 more lines: make the terminal taller\u{1B}[K\u{1B}[J"), "\(screen)")

        // Into a pipe: the tables follow one another, with no control characters.
        let piped = try world.central(["nodes", "--watch", "--interval", "100ms", "--iterations", "2"])
        #expect(piped.status == 0, "\(piped.stderr)")
        #expect(!piped.stdout.contains("\u{1B}"))
        let tables = piped.stdout.components(separatedBy: "central nodes, every 100ms, at ").dropFirst()
        #expect(tables.count == 2 && tables.allSatisfy { $0.contains("\n\nNODE ") && $0.hasSuffix("\n\n") })
    }

    /// `central nodes` measures SILENT on central's clock, as `central metrics` does: run on a
    /// machine an hour fast, it still reads a node that just synced as just heard from.
    @Test func theNodesTableMeasuresSilenceOnCentralsClock() throws {
        let world = try SyncWorld()
        let node = try world.makeNode("NODE-A")
        #expect(try world.syncOnce(node).status == 0)
        let json = try SyncWorld.run("central", ["nodes", "--json"], clock: "+1h", environment: world.environment)
        #expect(json.status == 0, "\(json.stderr)")
        let nodes = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [[String: Any]]
        let silent = try #require(nodes?.first?["silent_seconds"] as? Int, "\(json.stdout)")
        #expect(silent < 1800, "\(json.stdout)")
        let watch = try SyncWorld.run(
            "central", ["nodes", "--watch", "--iterations", "1"], clock: "+1h", environment: world.environment)
        #expect(watch.status == 0, "\(watch.stderr)")
        let row = try #require(watch.stdout.split(separator: "\n").first { $0.hasPrefix("NODE-A ") })
        let columns = row.split(separator: " ")
        let seconds = try #require(Int(columns[columns.count - 2].dropLast()), "\(row)")
        #expect(seconds < 1800, "\(watch.stdout)")
    }

    /// A watch over a central that stops answering (its server frozen, the kept connection open)
    /// says so within a few refreshes, as a scrape does (5 s unless the URL says), not after the
    /// interactive 30 s; it shows the fleet again once central answers.
    @Test func aWatchOfAFrozenCentralSaysSo() throws {
        let world = try SyncWorld()
        #expect(try world.syncOnce(try world.makeNode("NODE-A")).status == 0)
        let watch = try BackgroundProcess(
            ProcessRunner.product("central"), ["nodes", "--watch", "--interval", "1s"],
            environment: world.environment, logDirectory: world.directory.path)
        // Stopped by SIGTERM, although started from a thread of the test process that blocks it.
        defer {
            if watch.isRunning { watch.send(SIGKILL) }
            watch.wait()
        }
        #expect(waitUntil(timeout: 20) { watch.stdout.contains("\nNODE-A ") } != nil, "\(watch.stderr)")
        let pidText = try String(contentsOfFile: world.server.directory + "/mysqld.pid", encoding: .utf8)
        let mysqld = try #require(pid_t(pidText.trimmingCharacters(in: .whitespacesAndNewlines)))
        kill(mysqld, SIGSTOP)
        let said = waitUntil(timeout: 15) { watch.stdout.contains("(read again in a moment)") }
        kill(mysqld, SIGCONT)
        #expect(said != nil, "\(watch.stdout.suffix(500))")
        let shown = watch.stdout.count
        #expect(
            waitUntil(timeout: 30) { watch.stdout.dropFirst(shown).contains("\nNODE-A ") } != nil,
            "\(watch.stdout.suffix(500))")
        watch.send(SIGTERM)
        #expect(waitUntil(timeout: 20) { !watch.isRunning } != nil, "SIGTERM did not stop the watch")
    }

    /// A bounded watch whose every refresh failed exits as a single read would (8: unreachable),
    /// so a script that watches knows it saw nothing.
    @Test func aBoundedWatchThatNeverReadCentralFails() throws {
        let world = try SyncWorld()
        var environment = world.environment
        environment["CENTRAL_URL"] = "mysql://venue_app@127.0.0.1:\(Network.freePort())/central"
        let result = try ProcessRunner.run(
            ProcessRunner.product("central"), ["nodes", "--watch", "--interval", "100ms", "--iterations", "2"],
            environment: environment)
        #expect(result.status == 8, "\(result.stdout)\(result.stderr)")
        #expect(result.stdout.components(separatedBy: "(read again in a moment)").count == 3, "\(result.stdout)")
    }

    @Test func watchAndMetricsRefuseWhatTheyCannotDo() throws {
        let world = try SyncWorld()
        for (arguments, message) in [
            (["nodes", "--interval", "1s"], "Error: --interval and --iterations go with --watch"),
            (["nodes", "--watch", "--json"], "Error: --watch draws a table; --json prints once"),
            (["nodes", "--watch", "--interval", "0s"], "Error: --interval must be a duration"),
            (["metrics", "--json"], "Error: metrics are Prometheus text: --json does not apply"),
            (["metrics", "--http", "nowhere"], "Error: --http must be HOST:PORT"),
        ] {
            let result = try world.central(arguments)
            #expect(result.status == 2 && result.stderr.hasPrefix(message), "\(arguments): \(result.stderr)")
        }
    }
}
