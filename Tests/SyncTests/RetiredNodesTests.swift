import Central
import Foundation
import Reconciliation
import SyncWire
import TestSupport
import Testing

@testable import Ticketing

/// `central nodes retire` and `reinstate` on the built `central` against a real central: what a
/// retired node is left out of, what it keeps, and what brings it back.
@Suite struct RetiredNodesTests {
    /// `central nodes --json`, by node id.
    static func nodes(_ world: SyncWorld) throws -> [String: [String: Any]] {
        let result = try world.central(["nodes", "--json"])
        #expect(result.status == 0, "\(result.stderr)")
        let list = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [[String: Any]])
        return Dictionary(uniqueKeysWithValues: list.map { ($0["id"] as? String ?? "", $0) })
    }

    /// The row of `node` in a `central nodes` table.
    static func row(_ node: String, in table: String) -> String? {
        table.split(separator: "\n").first { $0.hasPrefix(node + " ") }.map(String.init)
    }

    /// The retirement columns of every node, to show a refusal changed nothing.
    static func retirements(_ world: SyncWorld) throws -> [String] {
        try world.central.rows(
            """
            SELECT CONCAT_WS('|', id, COALESCE(CAST(retired_at AS CHAR), '-'), COALESCE(retired_reason, '-'),
                             COALESCE(retired_by, '-')) FROM node ORDER BY id
            """
        ).map { try $0.get(0) }
    }

    @Test func aRetiredNodeShowsAsRetiredUntilItIsReinstated() throws {
        let world = try SyncWorld()
        for id in ["NODE-A", "NODE-B"] { #expect(try world.syncOnce(try world.makeNode(id)).status == 0) }

        let retire = try world.central(["nodes", "retire", "NODE-A", "--reason", "venue closed"])
        #expect(retire.status == 0, "\(retire.stderr)")
        #expect(
            retire.stdout
                == "Retired NODE-A (venue closed): no longer watched for silence and no new allocation; its records "
                + "stay. If it pushes again, its records are applied and it is active again.\n")

        let json = try Self.nodes(world)
        let retired = try #require(json["NODE-A"]?["retired"] as? [String: Any], "\(json)")
        #expect(retired["reason"] as? String == "venue closed")
        #expect((retired["by"] as? String)?.contains("@") == true && retired["at"] is String, "\(retired)")
        #expect(json["NODE-B"] != nil && json["NODE-B"]?["retired"] == nil, "\(json)")

        let account = try #require(retired["by"] as? String)
        let table = try world.central(["nodes"])
        #expect(table.status == 0, "\(table.stderr)")
        #expect(Self.row("NODE-A", in: table.stdout)?.contains(" RETIRED ") == true, "\(table.stdout)")
        #expect(Self.row("NODE-B", in: table.stdout)?.contains(" active ") == true, "\(table.stdout)")
        let note = try #require(table.stdout.split(separator: "\n").last, "\(table.stdout)")
        #expect(
            note.hasPrefix("NODE-A RETIRED ") && note.hasSuffix(" UTC by \(account): venue closed"), "\(table.stdout)")
        let watch = try world.central(["nodes", "--watch", "--iterations", "1"])
        #expect(watch.status == 0, "\(watch.stderr)")
        #expect(Self.row("NODE-A", in: watch.stdout)?.contains(" RETIRED ") == true, "\(watch.stdout)")
        #expect(watch.stdout.contains("\n" + note + "\n"), "\(watch.stdout)")

        let reinstate = try world.central(["nodes", "reinstate", "NODE-A"])
        #expect(reinstate.status == 0, "\(reinstate.stderr)")
        #expect(reinstate.stdout.hasPrefix("NODE-A is active again: watched for silence (last heard from "))
        let after = try Self.nodes(world)
        #expect(after["NODE-A"] != nil && after["NODE-A"]?["retired"] == nil, "\(after)")
        // The retirement it ended stays on record beside the reinstatement: when, why, by whom.
        let ended = try #require(after["NODE-A"]?["returned_from"] as? [String: Any], "\(after)")
        #expect(ended["reason"] as? String == "venue closed" && ended["by"] as? String == account, "\(ended)")
        #expect(ended["at"] as? String == retired["at"] as? String, "\(ended)")
        let reinstated = try #require(after["NODE-A"]?["reinstated"] as? [String: Any], "\(after)")
        #expect(reinstated["by"] as? String == account && reinstated["at"] is String, "\(reinstated)")
        #expect(after["NODE-B"]?["reinstated"] == nil && after["NODE-B"]?["returned_from"] == nil, "\(after)")
        let again = try world.central(["nodes"])
        #expect(Self.row("NODE-A", in: again.stdout)?.contains(" active ") == true, "\(again.stdout)")
        #expect(!again.stdout.contains("RETIRED"), "\(again.stdout)")
        let line = try #require(again.stdout.split(separator: "\n").last.map(String.init), "\(again.stdout)")
        #expect(
            line.hasPrefix("NODE-A active again: reinstated ")
                && line.contains(" UTC by \(account) after its retirement of ")
                && line.hasSuffix(" UTC by \(account) (venue closed)"), "\(again.stdout)")
        let columns = try Self.retirements(world)
        #expect(columns.first?.hasSuffix("|venue closed|\(account)") == true, "\(columns)")
        // Reinstated a second time: refused, saying the reinstatement that ended the retirement.
        let second = try world.central(["nodes", "reinstate", "NODE-A"])
        #expect(second.status == 1, "\(second.stderr)")
        #expect(
            second.stderr.hasPrefix("Error: node NODE-A is not retired: it was reinstated at ")
                && second.stderr.contains(" by \(account) after its retirement at "), "\(second.stderr)")

        // Retired again at once: the new retirement replaces the old one and is in force.
        #expect(try world.central(["nodes", "retire", "NODE-A", "--reason", "closed again"]).status == 0)
        let twice = try Self.nodes(world)
        let retiredAgain = try #require(twice["NODE-A"]?["retired"] as? [String: Any], "\(twice)")
        #expect(retiredAgain["reason"] as? String == "closed again", "\(retiredAgain)")
        #expect(twice["NODE-A"]?["reinstated"] == nil && twice["NODE-A"]?["returned_from"] == nil, "\(twice)")
        let table2 = try world.central(["nodes"]).stdout
        #expect(Self.row("NODE-A", in: table2)?.contains(" RETIRED ") == true, "\(table2)")
    }

    @Test func aBadRetirementIsRefusedWithOneLineAndChangesNothing() throws {
        let world = try SyncWorld()
        for id in ["NODE-A", "NODE-B"] { #expect(try world.syncOnce(try world.makeNode(id)).status == 0) }
        #expect(try world.central(["nodes", "retire", "NODE-B"]).status == 0)
        let before = try Self.retirements(world)
        let long = String(repeating: "x", count: 201)
        for (arguments, status, code, message) in [
            (
                ["nodes", "retire", "NODE-Z"], 6, "not_found",
                "no node 'NODE-Z' at central: 'central nodes' lists every node that ever pushed"
            ),
            (
                ["nodes", "reinstate", "NODE-Z"], 6, "not_found",
                "no node 'NODE-Z' at central: 'central nodes' lists every node that ever pushed"
            ),
            (
                ["nodes", "retire", "NODE-A", "--reason", "closed\nfor good"], 2, "invalid_input",
                "a retirement's reason must be one line without control characters: 'central nodes' prints it"
            ),
            (
                ["nodes", "retire", "NODE-A", "--reason", "\u{1B}[31mclosed"], 2, "invalid_input",
                "a retirement's reason must be one line without control characters: 'central nodes' prints it"
            ),
            (
                ["nodes", "retire", "NODE-A", "--reason", " "], 2, "invalid_input",
                "a retirement's reason must say something (or leave it out)"
            ),
            (
                ["nodes", "retire", "NODE-A", "--reason", long], 2, "invalid_input",
                "a retirement's reason is at most 200 characters (this one has 201): 'central nodes' prints it on "
                    + "one line"
            ),
            (["nodes", "retire", "NODE-B"], 1, "already_retired", "node NODE-B is already retired (since "),
            (["nodes", "reinstate", "NODE-A"], 1, "not_retired", "node NODE-A is not retired"),
        ] {
            let result = try world.central(arguments + ["--json"])
            #expect(result.status == status, "\(arguments): \(result.stderr)")
            #expect(
                result.stderr.hasPrefix("Error: " + message) && result.stderr.split(separator: "\n").count == 1,
                "\(arguments): \(result.stderr)")
            let error = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: [String: Any]]
            #expect(error?["error"]?["code"] as? String == code, "\(arguments): \(result.stdout)")
        }
        let usage = try world.central(["nodes", "retire"])
        #expect(usage.status == 2 && usage.stderr.hasPrefix("Error: missing NODE\n"), "\(usage.stderr)")
        let mistyped = try world.central(["nodes", "retier", "NODE-A"])
        #expect(mistyped.status == 2 && mistyped.stderr.contains("retire"), "\(mistyped.stderr)")
        #expect(try Self.retirements(world) == before)
    }

    /// Records the node still held at its last push, or records parked at central: retiring it
    /// would hide sales, so it takes `--force`, and the error says what to do.
    @Test func aNodeWithRecordsWaitingOrParkedIsRetiredOnlyByForce() throws {
        let world = try SyncWorld()
        let a = try world.makeNode("NODE-A")
        #expect(try world.syncOnce(a).status == 0)
        for _ in 0..<3 { try a.sell("BIG", "FLOOR") }
        // The box pushed one record and went down with the rest.
        let first = try a.node.sync.pendingBatch(limit: 1)
        #expect(try PushReceiver(connection: world.central).apply(first).applied == 1)
        let waiting = try #require(first.outboxPendingAfter > 0 ? first.outboxPendingAfter : nil)
        // Another node's record central can never apply is parked.
        _ = try PushReceiver(connection: world.central).apply(
            PushBatch(
                nodeID: "NODE-P",
                records: [
                    OutboxRecord(
                        seq: 1, type: "gift_card.sold", entityID: "G1", payload: "{}", createdAt: world.clock.now())
                ], outboxPendingAfter: 0, oldestPendingAt: nil, pullCursor: 0, sentAt: world.clock.now()))
        let before = try Self.retirements(world)

        let refusedWaiting = try world.central(["nodes", "retire", "NODE-A", "--reason", "closed", "--json"])
        #expect(refusedWaiting.status == 1, "\(refusedWaiting.stderr)")
        #expect(
            refusedWaiting.stderr.hasPrefix(
                "Error: node NODE-A still held \(waiting) record(s) for central at its last push")
                && refusedWaiting.stderr.contains("retiring it would hide sales central has not got")
                && refusedWaiting.stderr.hasSuffix("; or give --force to retire it anyway\n"),
            "\(refusedWaiting.stderr)")
        #expect(refusedWaiting.stdout.contains("\"code\" : \"records_waiting\""), "\(refusedWaiting.stdout)")
        let refusedParked = try world.central(["nodes", "retire", "NODE-P"])
        #expect(refusedParked.status == 1, "\(refusedParked.stderr)")
        #expect(
            refusedParked.stderr
                == "Error: central holds 1 record(s) of node NODE-P it could not apply: see 'central parked NODE-P', "
                + "fix the cause and apply them with 'central parked NODE-P --retry' before retiring it; or give --force "
                + "to retire it anyway\n")
        #expect(try Self.retirements(world) == before)

        let forced = try world.central(["nodes", "retire", "NODE-A", "--reason", "closed", "--force"])
        #expect(forced.status == 0, "\(forced.stderr)")
        #expect(
            forced.stdout.contains(" It had \(waiting) record(s) not pushed at its last push and 0 parked at central."))
        #expect(try world.central(["nodes", "retire", "NODE-P", "--force"]).status == 0)
        // What it held stays visible: central still reports the records it has not got.
        let report = try world.central(["report", "sales"])
        #expect(
            report.stdout.contains("Not yet synced: NODE-A \(waiting) record(s) at its last push"), "\(report.stdout)")
        #expect(try world.central(["parked", "NODE-P"]).stdout.contains("gift_card.sold"))
    }

    /// A reason that is not one short line is refused before central is asked anything: with
    /// central out of reach the operator is told what to fix, not that central is down.
    @Test func aBadReasonIsRefusedEvenWhileCentralIsUnreachable() throws {
        var environment = ProcessInfo.processInfo.environment
        environment["CENTRAL_URL"] = "mysql://venue_app@127.0.0.1:\(Network.freePort())/central"
        for (arguments, message) in [
            (["nodes", "retire", "NODE-A", "--reason", "closed\nfor good"], "a retirement's reason must be one line"),
            (
                [
                    "keys", "revoke", "NODE-A", "--after", "2026-12-01T00:00:00Z", "--reason",
                    String(repeating: "é", count: 201),
                ],
                "a revocation's reason is at most 200 characters (this one has 201)"
            ),
        ] {
            let result = try ProcessRunner.run(ProcessRunner.product("central"), arguments, environment: environment)
            #expect(result.status == 2 && result.stderr.contains(message), "\(arguments): \(result.stderr)")
        }
    }

    /// A retired node that comes back loses nothing: its sales are applied as any node's, and its
    /// contact makes it active again, which `central nodes` says, and the fleet metrics until
    /// head office reinstates it.
    @Test func aRetiredNodeThatSyncsAgainKeepsItsSalesAndIsActiveAgain() throws {
        let world = try SyncWorld()
        let a = try world.makeNode("NODE-A")
        #expect(try world.syncOnce(a).status == 0)
        #expect(try world.central(["nodes", "retire", "NODE-A", "--reason", "box replaced"]).status == 0)
        for _ in 0..<2 { try a.sell("BIG", "FLOOR") }
        let sync = try world.syncOnce(a)
        #expect(sync.status == 0, "\(sync.stderr)")
        #expect(try world.centralOrders(node: "NODE-A") == (try a.orders()))
        #expect(try a.node.sync.status().outboxPending == 0)

        let json = try Self.nodes(world)
        #expect(json["NODE-A"]?["retired"] == nil, "\(json)")
        let returned = try #require(json["NODE-A"]?["returned_from"] as? [String: Any], "\(json)")
        #expect(returned["reason"] as? String == "box replaced")
        let table = try world.central(["nodes"]).stdout
        #expect(Self.row("NODE-A", in: table)?.contains(" BACK ") == true, "\(table)")
        #expect(table.contains("\nNODE-A BACK: last heard from "), "\(table)")
        #expect(
            table.hasSuffix(" (box replaced); 'central nodes reinstate NODE-A' if it is meant to be back\n"),
            "\(table)")
        // Back without head office's word: the fleet metrics say so (VenueRetiredNodeBack) until
        // a reinstatement says it is meant to be, which is kept.
        func back() throws -> [String] {
            try world.central(["metrics"]).stdout.split(separator: "\n").filter {
                $0.hasPrefix("venue_fleet_node_back_after_retirement{")
            }.map(String.init)
        }
        #expect(try back() == [#"venue_fleet_node_back_after_retirement{node="NODE-A"} 1"#])
        let reinstate = try world.central(["nodes", "reinstate", "NODE-A"])
        #expect(reinstate.status == 0, "\(reinstate.stderr)")
        #expect(try back() == [#"venue_fleet_node_back_after_retirement{node="NODE-A"} 0"#])
        #expect(try Self.nodes(world)["NODE-A"]?["reinstated"] is [String: Any])
        let reinstated = try world.central(["nodes"]).stdout
        #expect(Self.row("NODE-A", in: reinstated)?.contains(" active ") == true, "\(reinstated)")
        #expect(reinstated.contains("\nNODE-A active again: reinstated "), "\(reinstated)")
        let again = try world.central(["nodes", "reinstate", "NODE-A"])
        #expect(again.status == 1 && again.stderr.contains(": it was reinstated at "), "\(again.stderr)")
        // Retired once more: from its last contact on.
        #expect(try world.central(["nodes", "retire", "NODE-A"]).status == 0)
        #expect(try Self.nodes(world)["NODE-A"]?["retired"] is [String: Any])
    }

    /// Reconcile neither reports a retired node silent nor its clock skewed, the fleet metrics
    /// give it the sync mode `retired`, and `central smoke` does not wait for it; another node
    /// silent as long is still reported.
    @Test func aRetiredNodeIsLeftOutOfTheSilenceChecksAndTheMetricsSaySo() throws {
        let world = try SyncWorld()
        let a = try world.makeNode("NODE-A")
        #expect(try world.syncOnce(a, clock: "-1d").status == 0)
        #expect(try world.syncOnce(try world.makeNode("NODE-B")).status == 0)
        func reconcileTwoHoursOn() throws -> [String: String] {
            let run = try SyncWorld.run("central", ["reconcile"], clock: "+2h", environment: world.environment)
            #expect(run.status == 10, "\(run.stdout)\(run.stderr)")
            return Dictionary(
                uniqueKeysWithValues: try world.central.rows(
                    "SELECT discrepancy_key, status FROM discrepancy WHERE node_id IS NOT NULL AND event_id IS NULL"
                ).map { (try $0.get(0, as: String.self), try $0.get(1, as: String.self)) })
        }
        #expect(
            try reconcileTwoHoursOn() == [
                "node_silent/NODE-A": "open", "node_silent/NODE-B": "open", "node_clock_skew/NODE-A": "open",
            ])
        let smokeBefore = try SyncWorld.run(
            "central", ["smoke", "--silence", "1h"], clock: "+2h", environment: world.environment)
        #expect(smokeBefore.stdout.contains("silent: NODE-A ("), "\(smokeBefore.stdout)")

        #expect(try world.central(["nodes", "retire", "NODE-A", "--reason", "venue closed"]).status == 0)
        #expect(
            try reconcileTwoHoursOn() == [
                "node_silent/NODE-A": "resolved", "node_silent/NODE-B": "open", "node_clock_skew/NODE-A": "resolved",
            ])
        let smoke = try SyncWorld.run(
            "central", ["smoke", "--silence", "1h"], clock: "+2h", environment: world.environment)
        #expect(smoke.stdout.contains("silent: NODE-B ("), "\(smoke.stdout)")
        #expect(!smoke.stdout.contains("NODE-A ("), "\(smoke.stdout)")

        let metrics = try world.central(["metrics"])
        #expect(metrics.status == 0, "\(metrics.stderr)")
        let problems = try FleetMetricsTests.promtoolProblems(metrics.stdout)
        #expect(problems == nil, "\(problems ?? "")")
        func mode(_ node: String, _ mode: String) -> Double? {
            FleetMetricsTests.value("venue_fleet_node_sync_mode{node=\"\(node)\",mode=\"\(mode)\"}", in: metrics.stdout)
        }
        #expect(mode("NODE-A", "retired") == 1 && mode("NODE-A", "writable") == 0 && mode("NODE-A", "silent") == 0)
        #expect(mode("NODE-B", "retired") == 0 && mode("NODE-B", "writable") == 1)
        #expect(!metrics.stdout.contains("node=\"NODE-A\",class=\"node_silent\""), "\(metrics.stdout)")
        #expect(metrics.stdout.contains("node=\"NODE-B\",class=\"node_silent\""), "\(metrics.stdout)")
        // Its facts are still exported.
        #expect(FleetMetricsTests.value("venue_fleet_node_epoch{node=\"NODE-A\"}", in: metrics.stdout) == 1)
    }

    /// Retiring a node resolves reconcile's open silence and clock-skew discrepancies of it at once,
    /// as reconcile's next run would: the fleet metrics count none, so the node just retired raises
    /// no alert in between. Its other discrepancies, and another node's, stay open.
    @Test func retiringANodeResolvesItsSilenceAndClockDiscrepanciesAtOnce() throws {
        #expect(
            NodeRetirements.unwatchedClasses == [DiscrepancyClass.nodeSilent, .nodeClockSkew].map(\.rawValue))
        let world = try SyncWorld()
        #expect(try world.syncOnce(try world.makeNode("NODE-B")).status == 0)
        // NODE-A's one push: a record central parks, sent by a clock a day behind central's.
        let sent = Timestamp(milliseconds: world.clock.now().milliseconds - 86_400_000)
        _ = try PushReceiver(connection: world.central).apply(
            PushBatch(
                nodeID: "NODE-A",
                records: [OutboxRecord(seq: 1, type: "gift_card.sold", entityID: "G1", payload: "{}", createdAt: sent)],
                outboxPendingAfter: 0, oldestPendingAt: nil, pullCursor: 0, sentAt: sent))
        func discrepancies() throws -> [String: String] {
            Dictionary(
                uniqueKeysWithValues: try world.central.rows(
                    "SELECT discrepancy_key, status FROM discrepancy WHERE node_id IS NOT NULL AND event_id IS NULL"
                ).map { (try $0.get(0, as: String.self), try $0.get(1, as: String.self)) })
        }
        func reconcileTwoHoursOn() throws {
            let run = try SyncWorld.run(
                "central", ["reconcile", "--parked-age", "1h"], clock: "+2h", environment: world.environment)
            #expect(run.status == 10, "\(run.stdout)\(run.stderr)")
        }
        try reconcileTwoHoursOn()
        let open = [
            "node_silent/NODE-A": "open", "node_clock_skew/NODE-A": "open", "parked_record_stale/NODE-A/1": "open",
            "node_silent/NODE-B": "open",
        ]
        #expect(try discrepancies() == open)

        #expect(try world.central(["nodes", "retire", "NODE-A", "--force"]).status == 0)
        var after = open
        after["node_silent/NODE-A"] = "resolved"
        after["node_clock_skew/NODE-A"] = "resolved"
        #expect(try discrepancies() == after)
        let metrics = try world.central(["metrics"])
        #expect(metrics.status == 0, "\(metrics.stderr)")
        for gone in ["node=\"NODE-A\",class=\"node_silent\"", "node=\"NODE-A\",class=\"node_clock_skew\""] {
            #expect(!metrics.stdout.contains(gone), "\(metrics.stdout)")
        }
        for kept in ["node=\"NODE-A\",class=\"parked_record_stale\"", "node=\"NODE-B\",class=\"node_silent\""] {
            #expect(metrics.stdout.contains(kept), "\(metrics.stdout)")
        }
        // Reconcile's next run agrees: nothing of the retired node's silence comes back.
        try reconcileTwoHoursOn()
        #expect(try discrepancies() == after)
    }

    /// A retired node can never sell an allocation: a new one is refused, with what to do; an
    /// import that leaves its allocations as they are still goes through.
    @Test func anAllocationToARetiredNodeIsRefused() throws {
        let world = try SyncWorld()
        #expect(try world.syncOnce(try world.makeNode("NODE-A")).status == 0)
        #expect(try world.central(["nodes", "retire", "NODE-A", "--reason", "venue closed"]).status == 0)
        let before = try world.central(["allocations", "SMALL", "--json"]).stdout
        let refused = try world.central(["allocate", "SMALL", "--category", "GA", "--node", "NODE-A", "--quota", "50"])
        #expect(refused.status == 1, "\(refused.stderr)")
        #expect(
            refused.stderr.hasPrefix("Error: node NODE-A is retired (since ")
                && refused.stderr.hasSuffix(
                    ": venue closed): it can never sell an allocation. Allocate to another node, or run "
                        + "'central nodes reinstate NODE-A' if it is coming back\n"),
            "\(refused.stderr)")
        #expect(try world.central(["allocations", "SMALL", "--json"]).stdout == before)
        let reimport = try world.central(["import", world.directory.file("central.json")])
        #expect(reimport.status == 0, "\(reimport.stderr)")

        #expect(try world.central(["nodes", "reinstate", "NODE-A"]).status == 0)
        let allowed = try world.central(["allocate", "SMALL", "--category", "GA", "--node", "NODE-A", "--quota", "50"])
        #expect(allowed.status == 0, "\(allowed.stderr)")
    }
}
