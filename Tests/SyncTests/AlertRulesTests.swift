import Foundation
import TestSupport
import Testing

/// The monitoring files shipped in `Scripts/prometheus` and `Scripts/grafana`, checked by
/// Prometheus' and Alertmanager's own tools.
@Suite struct AlertRulesTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path
    static let prometheusFolder = repository + "/Scripts/prometheus"
    static let rules = prometheusFolder + "/venue-alerts.yml"
    static let ruleTests = prometheusFolder + "/venue-alerts-test.yml"
    static let dashboard = repository + "/Scripts/grafana/venue-fleet.json"

    /// Every `- alert: NAME` of the rules file, in order.
    static func alertNames() throws -> [String] {
        try String(contentsOfFile: rules, encoding: .utf8).split(separator: "\n").compactMap { line in
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            return trimmed.hasPrefix("- alert: ") ? String(trimmed.dropFirst("- alert: ".count)) : nil
        }
    }

    /// Every `- record: NAME` of the rules file, in order.
    static func recordNames() throws -> [String] {
        try String(contentsOfFile: rules, encoding: .utf8).split(separator: "\n").compactMap { line in
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            return trimmed.hasPrefix("- record: ") ? String(trimmed.dropFirst("- record: ".count)) : nil
        }
    }

    /// `promtool test rules` on `tests` (a test file's text, its `rule_files` naming the shipped
    /// rules by path): nil when they pass, else what promtool says.
    static func promtoolTestProblems(_ tests: String) throws -> String? {
        let directory = TemporaryDirectory()
        let file = directory.file("tests.yml")
        try tests.write(toFile: file, atomically: true, encoding: .utf8)
        let run = try ProcessRunner.run("/usr/bin/promtool", ["test", "rules", file])
        return run.status == 0 && run.stdout.contains("SUCCESS") ? nil : run.stdout + run.stderr
    }

    /// The expression of the dashboard's panel titled `title` (its first target).
    static func dashboardExpression(title: String) throws -> String {
        let document = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dashboard)))
        func find(_ value: Any) -> String? {
            if let object = value as? [String: Any] {
                if object["title"] as? String == title, let targets = object["targets"] as? [[String: Any]] {
                    return targets.first?["expr"] as? String
                }
                return object.values.lazy.compactMap(find).first
            }
            return (value as? [Any])?.lazy.compactMap(find).first
        }
        return try #require(find(document), "no panel titled \(title)")
    }

    /// The moment VenueNodeSilent pages for a node, the dashboard counts it silent and not
    /// syncing, though central's sync mode (silent after reconcile's hour) still says writable.
    @Test func theDashboardCountsASilentNodeAsTheAlertDoes() throws {
        func quoted(_ text: String) -> String { "'" + text.replacingOccurrences(of: "'", with: "''") + "'" }
        let central = "job=\"venue-central\",instance=\"central:9465\""
        let tests = """
            rule_files: [\(quoted(Self.rules))]
            evaluation_interval: 1m
            tests:
              - interval: 1m
                input_series:
                  - series: 'venue_central_read_only{\(central)}'
                    values: '0x10'
                  - series: 'venue_fleet_node_last_contact_age_seconds{\(central),node="BOX-1"}'
                    values: '0+60x10'
                  - series: 'venue_fleet_node_last_contact_age_seconds{\(central),node="BOX-2"}'
                    values: '1x10'
                  - series: 'venue_fleet_node_sync_mode{\(central),node="BOX-1",mode="writable"}'
                    values: '1x10'
                  - series: 'venue_fleet_node_sync_mode{\(central),node="BOX-2",mode="writable"}'
                    values: '1x10'
                alert_rule_test:
                  - eval_time: 7m
                    alertname: VenueNodeSilent
                    exp_alerts:
                      - exp_labels: {severity: critical, job: venue-central, instance: "central:9465", node: BOX-1}
                        exp_annotations:
                          summary: "Node BOX-1 has not synced with central for 7m 0s"
                          runbook: "On the venue's machine: systemctl status venue-syncd; curl -f http://127.0.0.1:9464/health; journalctl -u venue-syncd -n 50. At head office: central nodes --watch."
                promql_expr_test:
                  - expr: \(quoted(try Self.dashboardExpression(title: "Nodes silent")))
                    eval_time: 7m
                    exp_samples: [{labels: '{}', value: 1}]
                  - expr: \(quoted(try Self.dashboardExpression(title: "Nodes syncing")))
                    eval_time: 7m
                    exp_samples: [{labels: '{}', value: 1}]
            """
        let problems = try Self.promtoolTestProblems(tests)
        #expect(problems == nil, "\(problems ?? "")")
    }

    /// A node's own discrepancies (silence, sequence, clock, parked records) carry no event: a
    /// dashboard table that sums them by anything keeps `node`, or two nodes' rows merge into one
    /// that names neither.
    @Test func theDashboardKeepsTheNodeOfADiscrepancy() throws {
        let sums = try Self.dashboardExpressions().filter { $0.contains("venue_reconcile_open_discrepancies") }
            .flatMap { $0.matches(of: /by \(([a-z_, ]+)\)/).map { String($0.1) } }
        #expect(!sums.isEmpty)
        for labels in sums {
            #expect(
                labels.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.contains("node"),
                "by (\(labels))")
        }
    }

    /// Every `venue_…` metric name `text` mentions.
    static func metricNames(in text: String) -> Set<String> {
        let pattern = /venue_[a-z0-9_]+/
        return Set(text.matches(of: pattern).map { String($0.output) })
    }

    @Test func theRulesPassPromtoolAndTheirTestsPass() throws {
        let check = try ProcessRunner.run("/usr/bin/promtool", ["check", "rules", Self.rules])
        #expect(check.status == 0, "\(check.stdout)\(check.stderr)")
        let count = try Self.alertNames().count + Self.recordNames().count
        #expect(check.stdout.contains("SUCCESS: \(count) rules found"), "\(check.stdout)")
        let test = try ProcessRunner.run("/usr/bin/promtool", ["test", "rules", Self.ruleTests])
        #expect(test.status == 0 && test.stdout.contains("SUCCESS"), "\(test.stdout)\(test.stderr)")
    }

    /// For each alert, the test file has a case where it fires and one where it must not.
    @Test func everyAlertHasATestThatFiresAndOneThatDoesNot() throws {
        let lines = try String(contentsOfFile: Self.ruleTests, encoding: .utf8).split(separator: "\n").map {
            $0.trimmingCharacters(in: .whitespaces)
        }
        var fires = Set<String>()
        var quiet = Set<String>()
        for (index, line) in lines.enumerated() where line.hasPrefix("alertname: ") && index + 1 < lines.count {
            let name = String(line.dropFirst("alertname: ".count))
            if lines[index + 1] == "exp_alerts: []" { quiet.insert(name) }
            if lines[index + 1] == "exp_alerts:" { fires.insert(name) }
        }
        let names = try Self.alertNames()
        #expect(names.count == 16 && Set(names).count == names.count, "\(names)")
        for name in names {
            #expect(fires.contains(name), "no test where \(name) fires")
            #expect(quiet.contains(name), "no test where \(name) stays quiet")
        }
        #expect(fires.union(quiet).subtracting(names).isEmpty, "tests of alerts the rules do not have")
    }

    /// Each alert has a summary and a runbook line that names a command.
    @Test func everyAlertHasASummaryAndARunbook() throws {
        let text = try String(contentsOfFile: Self.rules, encoding: .utf8)
        let blocks = text.components(separatedBy: "- alert: ").dropFirst()
        let names = try Self.alertNames()
        #expect(blocks.count == names.count)
        for block in blocks {
            let name = block.prefix { $0 != "\n" }
            #expect(block.contains("\n          summary: \""), "\(name) has no summary")
            let runbook = block.split(separator: "\n").first { $0.hasPrefix("          runbook: ") } ?? ""
            #expect(
                ["central ", "boxoffice ", "systemctl ", "curl ", "timedatectl ", "df "].contains {
                    runbook.contains($0)
                }, "\(name)'s runbook names no command: \(runbook)")
        }
    }

    @Test func thePrometheusAndAlertmanagerExamplesAreValid() throws {
        let prometheus = try ProcessRunner.run(
            "/usr/bin/promtool", ["check", "config", "--syntax-only", Self.prometheusFolder + "/prometheus.yml"])
        #expect(prometheus.status == 0, "\(prometheus.stdout)\(prometheus.stderr)")
        let alertmanager = try ProcessRunner.run(
            "/usr/bin/amtool", ["check-config", Self.prometheusFolder + "/alertmanager.yml"])
        #expect(alertmanager.status == 0, "\(alertmanager.stdout)\(alertmanager.stderr)")
        // The inhibitions name alerts the rules have.
        let config = try String(contentsOfFile: Self.prometheusFolder + "/alertmanager.yml", encoding: .utf8)
        let named = Set(config.matches(of: /Venue[A-Za-z]+/).map { String($0.output) })
        let alerts = Set(try Self.alertNames())
        #expect(!named.isEmpty && named.isSubset(of: alerts), "\(named)")
        // A critical alert pages; the rest are mailed.
        let route = try ProcessRunner.run(
            "/usr/bin/amtool",
            [
                "config", "routes", "test", "--config.file", Self.prometheusFolder + "/alertmanager.yml",
                "alertname=VenueNodeSilent", "severity=critical", "node=BOX-1",
            ])
        #expect(route.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "on-call-pager", "\(route.stdout)")
    }

    /// Head office's Alertmanager pages and mails each node's alerts apart: a page grouping
    /// several nodes would be sent again each time one of them resolves (Prometheus re-sends a
    /// resolved alert for 15 minutes), paging the others again.
    @Test func pagesAndEmailsAreOneGroupPerNode() throws {
        let directory = try TemporaryDirectory()
        let alertmanager = try MonitoringServer.alertmanager(
            in: directory, config: try PrometheusTests.alertmanagerConfigKeepingAlerts())
        let alerts = ["BOX-1", "BOX-2", "BOX-3"].flatMap { node in
            [
                ["alertname": "VenueNodeSilent", "severity": "critical", "node": node],
                ["alertname": "VenueClockSkew", "severity": "warning", "node": node],
            ].map { ["labels": $0] }
        }
        let body = String(decoding: try JSONSerialization.data(withJSONObject: alerts), as: UTF8.self)
        let posted = try ProcessRunner.run(
            "/usr/bin/curl",
            [
                "-sf", "--max-time", "10", "-H", "Content-Type: application/json", "--data", body,
                "http://127.0.0.1:\(alertmanager.port)/api/v2/alerts",
            ])
        #expect(posted.status == 0, "\(posted.stderr)")
        func groups() -> [(receiver: String, alerts: Int)] {
            let list = alertmanager.get("/api/v2/alerts/groups").flatMap {
                try? JSONSerialization.jsonObject(with: $0) as? [[String: Any]]
            }
            return (list ?? []).map {
                (($0["receiver"] as? [String: Any])?["name"] as? String ?? "", ($0["alerts"] as? [Any])?.count ?? 0)
            }
        }
        let grouped = waitUntil(timeout: 30) { groups().map(\.alerts).reduce(0, +) == 6 }
        #expect(grouped != nil, "\(groups())")
        #expect(groups().filter { $0.receiver == "on-call-pager" }.map(\.alerts) == [1, 1, 1], "\(groups())")
        #expect(groups().filter { $0.receiver == "operations-email" }.map(\.alerts) == [1, 1, 1], "\(groups())")
        alertmanager.process.send(SIGTERM)
        _ = alertmanager.process.wait()
    }

    /// The dashboard's expressions, with Grafana's variables as a test Prometheus reads them.
    static func dashboardExpressions() throws -> [String] {
        let document = try #require(
            try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dashboard)))
                as? [String: Any])
        var expressions = [String]()
        func collect(_ value: Any) {
            if let object = value as? [String: Any] {
                if let expr = object["expr"] as? String { expressions.append(expr) }
                for (key, inner) in object where key != "expr" { collect(inner) }
            } else if let array = value as? [Any] {
                array.forEach(collect)
            }
        }
        collect(document["panels"] ?? [])
        let variables = (document["templating"] as? [String: Any])?["list"] as? [[String: Any]] ?? []
        for variable in variables where variable["type"] as? String == "query" {
            let query = ((variable["query"] as? [String: Any])?["query"] as? String) ?? ""
            // label_values(EXPR, LABEL) is Grafana's; EXPR is the query Prometheus answers.
            let inner = query.wholeMatch(of: /label_values\((.+), *[a-z_]+\)/).map { String($0.1) }
            expressions.append(try #require(inner, "a variable query Grafana may not send as is: \(query)"))
        }
        return expressions.map { $0.replacingOccurrences(of: "$node", with: ".*") }
    }
}
