import Foundation
import MySQLClient
import TestSupport
import Testing

/// The `central` tool as head office runs it.
@Suite struct CentralToolTests {
    static let tool = ProcessRunner.product("central")

    @Test func migrateImportAndAllocateThroughTheTool() throws {
        let world = try SyncWorld(importFixture: false)
        let fresh = try world.server.freshDatabase()
        let environment = ["CENTRAL_URL": fresh, "CENTRAL_PASSWORD_FILE": world.server.passwordFile]
        let status = try ProcessRunner.run(Self.tool, ["migrate", "--status"], environment: environment)
        #expect(
            status.status == 0
                && status.stdout
                    == "central schema v0\npending: 001_nodes_and_sync, 002_catalog_and_allocations, 003_sales, 004_reconciliation, 005_protocol_2, 006_reconcile_indexes, 007_payments_covered_by_order, 008_reconcile_place_counts, 009_protocol_3, 010_protocol_4_door, 011_door_revocations, 012_node_retired\n"
        )
        let dryRun = try ProcessRunner.run(Self.tool, ["migrate", "--dry-run"], environment: environment)
        #expect(dryRun.stdout == status.stdout)
        let notYet = try ProcessRunner.run(Self.tool, ["events"], environment: environment)
        #expect(notYet.status == 1 && notYet.stderr.contains("run 'central migrate'"))
        let migrate = try ProcessRunner.run(Self.tool, ["migrate"], environment: environment)
        #expect(migrate.status == 0 && migrate.stdout.contains("central schema v12"))
        let identity = try #require(
            try MySQLConnection(MySQLConfiguration(url: fresh, environment: environment)).scalar(
                "SELECT central_id FROM central_identity", as: String.self))
        #expect(identity.count == 36 && migrate.stdout.contains("central identity \(identity) (made "))
        let shown = try ProcessRunner.run(Self.tool, ["migrate", "--status"], environment: environment)
        #expect(shown.stdout.contains("central identity \(identity)"), "the identity stays what migrate made")
        let fixture = world.directory.file("fixture.json")
        try SyncWorld.fixture.write(toFile: fixture, atomically: true, encoding: .utf8)
        let first = try ProcessRunner.run(Self.tool, ["import", fixture, "--json"], environment: environment)
        #expect(first.status == 0 && first.stdout.contains("\"proposals\" : 6"))
        let second = try ProcessRunner.run(Self.tool, ["import", fixture], environment: environment)
        #expect(
            second.status == 0
                && second.stdout.hasSuffix("allocation proposals: 0 new, 6 unchanged; catalog changes published: 0\n"))
        let over = try ProcessRunner.run(
            Self.tool, ["allocate", "BIG", "--category", "FLOOR", "--node", "NODE-C", "--quota", "1"],
            environment: environment)
        #expect(over.status == 1 && over.stderr.contains("has capacity 20000"))
        let both = try ProcessRunner.run(
            Self.tool, ["allocate", "BIG", "--category", "FLOOR", "--node", "NODE-C", "--quota", "1", "--seats", "A"],
            environment: environment)
        #expect(both.status == 2 && both.stderr.contains("not both"))
        let missing = try ProcessRunner.run(
            Self.tool, ["allocate", "NOPE", "--category", "X", "--node", "N", "--quota", "1"], environment: environment)
        #expect(missing.status == 6)
        let nodes = try ProcessRunner.run(Self.tool, ["nodes"], environment: environment)
        #expect(nodes.status == 0 && nodes.stdout == "No node has pushed yet.\n")
    }

    @Test func badURLsSecretsAndUnreachableCentralsExitClearly() throws {
        let inURL = try ProcessRunner.run(Self.tool, ["nodes", "--central", "mysql://app:secret@127.0.0.1/central"])
        #expect(
            inURL.status == 2 && inURL.stderr.contains("do not put the password in the URL")
                && !inURL.stderr.contains("secret@"))
        let nowhere = try ProcessRunner.run(
            Self.tool, ["nodes", "--central", "mysql://app@127.0.0.1:1/central?connect_timeout=2"],
            environment: ["CENTRAL_PASSWORD": "x"])
        #expect(nowhere.status == 8 && nowhere.stderr.hasPrefix("Error: central is unreachable"))
        let none = try ProcessRunner.run(Self.tool, ["nodes"], environment: ["CENTRAL_URL": ""])
        #expect(none.status == 2)
        let daemon = try ProcessRunner.run(
            ProcessRunner.product("venue-syncd"),
            ["--db", "/nonexistent/x.sqlite", "--central", "mysql://a@h/c", "--once"],
            environment: ["CENTRAL_PASSWORD": "x"])
        #expect(daemon.status != 0 && daemon.stderr.contains("Error: "))
        let usage = try ProcessRunner.run(
            ProcessRunner.product("venue-syncd"), ["--central", "mysql://a@h/c", "--interval", "soon"])
        #expect(usage.status == 2 && usage.stderr.contains("--interval must be a duration"))
    }
}
