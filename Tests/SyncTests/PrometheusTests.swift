import Foundation
import TestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// A real Prometheus (Debian's `prometheus`) and Alertmanager scraping a node's daemon and
/// central's fleet metrics with the shipped rules and the shipped Alertmanager routes and
/// inhibitions: a node stops, `VenueNodeSilent` fires and reaches Alertmanager, which holds back
/// the node's other alerts and no other node's; it starts again, the alert resolves. A retired
/// node never pages. Three nodes quiet together are one page, `VenueNodesSilentTogether`. Each server is the test's own (its config, data folder and a free port),
/// never the service the package may have started.
@Suite struct PrometheusTests {
    /// The shipped rules with `venue:node_silent`'s threshold and the `for:` of `VenueNodeSilent`,
    /// `VenueNodeMetricsDown` and `VenueNodesSilentTogether` shortened for a test (the last still
    /// the shortest): the shipped file stays the one source, and a test that
    /// no longer finds its values fails.
    static func rulesWithQuickNodeAlerts() throws -> String {
        let shippedText = try String(contentsOfFile: AlertRulesTests.rules, encoding: .utf8)
        let threshold = "venue_fleet_node_last_contact_age_seconds[10m]) > bool 120\n"
        try #require(
            shippedText.contains(threshold), "venue:node_silent no longer has '\(threshold)': update this test")
        var text = shippedText.replacingOccurrences(
            of: threshold, with: "venue_fleet_node_last_contact_age_seconds[10m]) > bool 4\n")
        for (alert, shipped, quick) in [
            ("VenueNodeSilent", "        for: 3m\n", "2s"), ("VenueNodeMetricsDown", "        for: 10m\n", "2s"),
            ("VenueNodesSilentTogether", "        for: 2m\n", "1s"),
        ] {
            let start = try #require(text.range(of: "      - alert: \(alert)\n"))
            let end =
                text.range(of: "\n      - alert: ", range: start.upperBound..<text.endIndex)?.lowerBound
                ?? text.endIndex
            var block = String(text[start.lowerBound..<end])
            try #require(block.contains(shipped), "\(alert) no longer has '\(shipped)': update this test")
            block = block.replacingOccurrences(of: shipped, with: "        for: \(quick)\n")
            text = text.replacingCharacters(in: start.lowerBound..<end, with: block)
        }
        return text
    }

    /// The shipped Alertmanager configuration (routes, inhibitions) with receivers that send
    /// nothing anywhere: alerts are only kept, to be read back.
    static func alertmanagerConfigKeepingAlerts() throws -> String {
        let shipped = try String(
            contentsOfFile: AlertRulesTests.prometheusFolder + "/alertmanager.yml", encoding: .utf8)
        let receivers = try #require(shipped.range(of: "\nreceivers:\n"), "alertmanager.yml has no receivers")
        let names = shipped[receivers.upperBound...].matches(of: /\n?  - name: ([a-z-]+)\n/).map { String($0.1) }
        try #require(!names.isEmpty)
        return String(shipped[..<receivers.lowerBound]) + "\nreceivers:\n"
            + names.map { "  - name: \($0)\n" }.joined()
    }

    @Test func aStoppedNodeFiresNodeSilentAloneThatResolvesWhenItIsBack() throws {
        let world = try SyncWorld()
        let node = try world.makeNode("NODE-A")
        #expect(try world.syncOnce(node).status == 0)
        // NODE-B synced once; its box is gone and head office retired it, its target left in place.
        #expect(try world.syncOnce(try world.makeNode("NODE-B")).status == 0)
        #expect(try world.central(["nodes", "retire", "NODE-B", "--reason", "venue closed"]).status == 0)
        #expect(try world.central(["reconcile"]).status == 0)
        #expect(try world.central(["reconcile", "--since", "last"]).status == 0)
        let nodePort = Network.freePort()
        let daemonArguments = [
            "--http", "127.0.0.1:\(nodePort)", "--interval", "250ms", "--mail",
            "spool:" + world.directory.file("spool"),
        ]
        var daemon = try world.startDaemon(node, daemonArguments)
        let centralPort = Network.freePort()
        let exporter = try BackgroundProcess(
            ProcessRunner.product("central"), ["metrics", "--http", "127.0.0.1:\(centralPort)"],
            environment: world.environment, logDirectory: world.directory.path)
        let alertmanager = try MonitoringServer.alertmanager(
            in: world.directory, config: try Self.alertmanagerConfigKeepingAlerts())
        let rules = world.directory.file("venue-alerts.yml")
        try Self.rulesWithQuickNodeAlerts().write(toFile: rules, atomically: true, encoding: .utf8)
        // Labelled by node as the shipped prometheus.yml labels them; NODE-C is a box central never
        // heard from, whose scrape fails too: its alert must not be held back by NODE-A's.
        let prometheus = try MonitoringServer.prometheus(
            in: world.directory,
            config: """
                global: {scrape_interval: 1s, evaluation_interval: 1s}
                rule_files: ["\(rules)"]
                alerting:
                  alertmanagers: [{static_configs: [{targets: ["127.0.0.1:\(alertmanager.port)"]}]}]
                scrape_configs:
                  - job_name: venue-central
                    static_configs: [{targets: ["127.0.0.1:\(centralPort)"]}]
                  - job_name: venue-node
                    honor_labels: true
                    static_configs:
                      - {targets: ["127.0.0.1:\(nodePort)"], labels: {node: NODE-A}}
                      - {targets: ["127.0.0.1:\(Network.freePort())"], labels: {node: NODE-B}}
                      - {targets: ["127.0.0.1:\(Network.freePort())"], labels: {node: NODE-C}}
                """)
        defer {
            for process in [prometheus.process, alertmanager.process, exporter, daemon] where process.isRunning {
                process.send(SIGTERM)
                process.wait()
            }
        }

        // Both live targets scraped, NODE-A's contact seen, NODE-B's older than the shortened
        // threshold and `for:`, and the rules evaluated over it a few times.
        let scraped = waitUntil(timeout: 60) {
            prometheus.query("sum(up{job=~\"venue-central|venue-node\"})").first?.value == 2
                && !prometheus.query("venue_fleet_node_last_contact_age_seconds{node=\"NODE-A\"}").isEmpty
                && prometheus.query("venue_fleet_node_last_contact_age_seconds{node=\"NODE-B\"} > 10").count == 1
        }
        try #require(scraped != nil, "\(prometheus.process.stderr)")
        let evaluated = prometheus.ruleGroupIterations("venue-node")
        #expect(waitUntil(timeout: 30) { prometheus.ruleGroupIterations("venue-node") >= evaluated + 3 } != nil)
        // The node's own series keep their node; `up` carries the target's.
        #expect(prometheus.query("venue_sync_cycles_total{node=\"NODE-A\"}").count == 1)
        #expect(prometheus.alerts("VenueNodeSilent").isEmpty, "\(prometheus.alerts("VenueNodeSilent"))")
        let down = prometheus.alerts("VenueNodeMetricsDown")
        #expect(down.map(\.node) == ["NODE-C"] && down.first?.state == "firing", "\(down)")
        #expect(prometheus.selfMetric("prometheus_rule_evaluation_failures_total") == 0)

        // Every expression of the dashboard is a query Prometheus answers, over metrics that exist.
        for expression in try AlertRulesTests.dashboardExpressions() {
            let answer = prometheus.api("/api/v1/query", ["query": expression])
            #expect(answer?["status"] as? String == "success", "\(expression): \(String(describing: answer))")
        }
        var declared: Set<String> = []
        for port in [centralPort, nodePort] {
            let text = Network.get(port: port, path: "/metrics")?.body ?? ""
            for line in text.split(separator: "\n") where line.hasPrefix("# TYPE ") {
                let parts = line.split(separator: " ")
                let name = String(parts[2])
                declared.insert(name)
                if parts[3] == "histogram" { declared.formUnion(["_bucket", "_sum", "_count"].map { name + $0 }) }
            }
        }
        for file in [AlertRulesTests.rules, AlertRulesTests.ruleTests, AlertRulesTests.dashboard] {
            let unknown = AlertRulesTests.metricNames(in: try String(contentsOfFile: file, encoding: .utf8))
                .subtracting(declared)
            #expect(unknown.isEmpty, "\(file) names metrics no exporter declares: \(unknown.sorted())")
        }

        daemon.send(SIGTERM)
        #expect(daemon.wait() == 0)
        let fired = waitUntil(timeout: 90) {
            prometheus.alerts("VenueNodeSilent").contains { $0.node == "NODE-A" && $0.state == "firing" }
                && prometheus.alerts("VenueNodeMetricsDown").contains { $0.node == "NODE-A" && $0.state == "firing" }
        }
        #expect(fired != nil, "\(prometheus.alerts("VenueNodeSilent")) \(prometheus.alerts("VenueNodeMetricsDown"))")
        // One notification for the dead node: Alertmanager holds its other alert back, not NODE-C's.
        let held = waitUntil(timeout: 60) {
            let alerts = alertmanager.receivedAlerts()
            func state(_ name: String, _ node: String) -> MonitoringServer.Alert? {
                alerts.first { $0.name == name && $0.node == node }
            }
            guard let silent = state("VenueNodeSilent", "NODE-A"), silent.state == "active",
                let down = state("VenueNodeMetricsDown", "NODE-A"), down.state == "suppressed",
                !down.inhibitedBy.isEmpty,
                let other = state("VenueNodeMetricsDown", "NODE-C"), other.state == "active", other.inhibitedBy.isEmpty
            else { return false }
            return true
        }
        #expect(held != nil, "\(alertmanager.receivedAlerts()) \(alertmanager.process.stderr)")
        #expect(
            alertmanager.receivedAlerts().allSatisfy { $0.node != "NODE-B" }, "\(alertmanager.receivedAlerts())")

        daemon = try world.startDaemon(node, daemonArguments)
        let resolved = waitUntil(timeout: 90) {
            !prometheus.alerts("VenueNodeSilent").contains { $0.node == "NODE-A" }
        }
        #expect(resolved != nil, "\(prometheus.alerts("VenueNodeSilent"))")

        // Three more nodes sync once and go quiet together (head office's network, say): one
        // page, VenueNodesSilentTogether; Alertmanager holds back each one's own.
        let together = ["NODE-D", "NODE-E", "NODE-F"]
        for name in together { #expect(try world.syncOnce(try world.makeNode(name)).status == 0) }
        let fleetPage = waitUntil(timeout: 90) {
            let alerts = alertmanager.receivedAlerts()
            guard alerts.contains(where: { $0.name == "VenueNodesSilentTogether" && $0.state == "active" }) else {
                return false
            }
            return together.allSatisfy { node in
                alerts.contains { $0.name == "VenueNodeSilent" && $0.node == node && $0.state == "suppressed" }
            }
        }
        #expect(fleetPage != nil, "\(alertmanager.receivedAlerts()) \(prometheus.alerts("VenueNodesSilentTogether"))")
    }
}

/// A Prometheus or Alertmanager of the test's own, asked through its HTTP API with `curl`.
struct MonitoringServer {
    let port: Int
    let process: BackgroundProcess

    /// An alert as `/api/v1/alerts` or Alertmanager's `/api/v2/alerts` lists it; for the latter,
    /// the alerts that inhibit it.
    struct Alert: CustomStringConvertible {
        let name: String
        let node: String?
        let state: String
        var inhibitedBy: [String] = []
        var description: String {
            "\(name) \(node ?? "-") \(state)" + (inhibitedBy.isEmpty ? "" : " inhibited by \(inhibitedBy)")
        }
    }

    static func prometheus(in directory: TemporaryDirectory, config: String) throws -> MonitoringServer {
        let file = directory.file("prometheus.yml")
        try config.write(toFile: file, atomically: true, encoding: .utf8)
        let port = Network.freePort()
        return try start(
            "/usr/bin/prometheus",
            [
                "--config.file=\(file)", "--storage.tsdb.path=\(directory.file("prometheus-data"))",
                "--web.listen-address=127.0.0.1:\(port)",
            ], port: port, directory: directory)
    }

    /// Alertmanager with `config`, by default one receiver that sends nothing anywhere: alerts
    /// are only kept, to be read back.
    static func alertmanager(
        in directory: TemporaryDirectory, config: String = "route: {receiver: kept}\nreceivers: [{name: kept}]\n"
    ) throws -> MonitoringServer {
        let file = directory.file("alertmanager.yml")
        try config.write(toFile: file, atomically: true, encoding: .utf8)
        let port = Network.freePort()
        return try start(
            "/usr/bin/prometheus-alertmanager",
            [
                "--config.file=\(file)", "--storage.path=\(directory.file("alertmanager-data"))",
                "--web.listen-address=127.0.0.1:\(port)", "--cluster.listen-address=",
            ], port: port, directory: directory)
    }

    private static func start(_ executable: String, _ arguments: [String], port: Int, directory: TemporaryDirectory)
        throws -> MonitoringServer
    {
        let process = try BackgroundProcess(executable, arguments, logDirectory: directory.path)
        let server = MonitoringServer(port: port, process: process)
        let ready = waitUntil(timeout: 60) { server.get("/-/ready") != nil || !process.isRunning }
        try #require(ready != nil && process.isRunning, "\(executable) did not start: \(process.stderr)")
        return server
    }

    /// The body of `GET path` with `parameters` URL-encoded, when the answer is 2xx.
    func get(_ path: String, _ parameters: [String: String] = [:]) -> Data? {
        let arguments =
            ["-sf", "-G", "--max-time", "10"]
            + parameters.sorted { $0.key < $1.key }.flatMap {
                ["--data-urlencode", "\($0.key)=\($0.value)"]
            } + ["http://127.0.0.1:\(port)\(path)"]
        guard let result = try? ProcessRunner.run("/usr/bin/curl", arguments), result.status == 0 else { return nil }
        return Data(result.stdout.utf8)
    }

    /// A JSON answer of the API.
    func api(_ path: String, _ parameters: [String: String] = [:]) -> [String: Any]? {
        get(path, parameters).flatMap { try? JSONSerialization.jsonObject(with: $0) as? [String: Any] }
    }

    /// An instant query's samples: their labels and value.
    func query(_ expression: String) -> [(labels: [String: String], value: Double)] {
        let result =
            (api("/api/v1/query", ["query": expression])?["data"] as? [String: Any])?["result"] as? [[String: Any]]
        return (result ?? []).compactMap { sample in
            guard let pair = sample["value"] as? [Any], pair.count == 2, let text = pair[1] as? String else {
                return nil
            }
            return (sample["metric"] as? [String: String] ?? [:], Double(text) ?? .nan)
        }
    }

    /// Prometheus' active alerts (pending or firing) named `name`.
    func alerts(_ name: String) -> [Alert] {
        let list = (api("/api/v1/alerts")?["data"] as? [String: Any])?["alerts"] as? [[String: Any]] ?? []
        return list.compactMap { alert in
            let labels = alert["labels"] as? [String: String] ?? [:]
            guard labels["alertname"] == name else { return nil }
            return Alert(name: name, node: labels["node"], state: alert["state"] as? String ?? "")
        }
    }

    /// The alerts Alertmanager holds.
    func receivedAlerts() -> [Alert] {
        let list = get("/api/v2/alerts").flatMap { try? JSONSerialization.jsonObject(with: $0) as? [[String: Any]] }
        return (list ?? []).map { alert in
            let labels = alert["labels"] as? [String: String] ?? [:]
            let status = alert["status"] as? [String: Any]
            return Alert(
                name: labels["alertname"] ?? "", node: labels["node"], state: status?["state"] as? String ?? "",
                inhibitedBy: status?["inhibitedBy"] as? [String] ?? [])
        }
    }

    /// The sum of a metric in Prometheus' own `/metrics`, over all its series.
    func selfMetric(_ name: String) -> Double {
        let text = get("/metrics").map { String(decoding: $0, as: UTF8.self) } ?? ""
        return text.split(separator: "\n").filter { $0.hasPrefix(name + "{") || $0.hasPrefix(name + " ") }.compactMap {
            $0.split(separator: " ").last.flatMap { Double($0) }
        }.reduce(0, +)
    }

    /// How many times the rule group `group` was evaluated.
    func ruleGroupIterations(_ group: String) -> Double {
        let text = get("/metrics").map { String(decoding: $0, as: UTF8.self) } ?? ""
        return text.split(separator: "\n").first {
            $0.hasPrefix("prometheus_rule_group_iterations_total{") && $0.contains(";\(group)\"}")
        }.flatMap { $0.split(separator: " ").last.flatMap { Double($0) } } ?? 0
    }
}
