import Central
import EdgeStore
import Foundation
import MySQLClient
import SyncEngine
import SyncWire
import TestSupport
import Testing

@testable import Ticketing

/// Which centrals a node works with, and what a node does when its own database fails.
@Suite struct CompatibilityTests {
    @Test func aNodeKeepsSyncingWithACentralMigratedPastItAndStopsOutsideTheWindow() throws {
        let world = try SyncWorld()
        let future =
            CentralSchema.migrations + [
                (
                    name: "\(String(format: "%03d", CentralSchema.migrations.count + 1))_future_reports",
                    sql: "CREATE TABLE future_report (id BIGINT NOT NULL PRIMARY KEY) ENGINE = InnoDB"
                )
            ]
        #expect(
            try CentralMigrator(connection: world.central, migrations: future).migrate(
                dryRun: false, now: world.clock.now()
            ).version == CentralSchema.migrations.count + 1)
        let node = try world.makeNode("NODE-A")
        #expect(try world.syncOnce(node).status == 0)
        try node.sell("BIG", "FLOOR")
        #expect(try world.syncOnce(node).status == 0)
        #expect(try world.centralOrders(node: "NODE-A") == node.orders())

        let newer = SyncProtocolVersion.current + 1
        try world.central.execute("UPDATE sync_protocol SET min_version = ?, max_version = ?", [newer, newer])
        try node.sell("BIG", "FLOOR")
        let refused = try world.syncOnce(node)
        #expect(
            refused.status == 75 && refused.stderr.contains("mode=incompatible")
                && refused.stderr.contains("upgrade this node"),
            "\(refused.stderr)")
        let status = try node.node.sync.status()
        #expect(status.mode == .incompatible && status.cause == "protocol" && status.outboxPending == 1)

        let older = try world.server.freshDatabase()
        let connection = try MySQLConnection(MySQLConfiguration(url: older, environment: world.server.environment))
        _ = try CentralMigrator(connection: connection, migrations: Array(CentralSchema.migrations.prefix(4))).migrate(
            dryRun: false,
            now: world.clock.now())
        let behind = try ProcessRunner.run(
            ProcessRunner.product("venue-syncd"), ["--db", node.path, "--once", "--central", older],
            environment: world.environment)
        #expect(
            behind.status == 75 && behind.stderr.contains("central schema is at version 4")
                && behind.stderr.contains("central migrate"),
            "\(behind.stderr)")
        #expect(try node.node.sync.status().cause == "schema")
    }

    /// A protocol window whose minimum is above its maximum (a hand-edited `sync_protocol` row)
    /// accepts no version: `venue-syncd` reports `incompatible` (cause `protocol`) and keeps the
    /// outbox, instead of dying on the inverted range.
    @Test func anInvertedProtocolWindowIsIncompatibleNotACrash() throws {
        let world = try SyncWorld()
        let node = try world.makeNode("NODE-A")
        #expect(try world.syncOnce(node).status == 0)
        try world.central.execute(
            "UPDATE sync_protocol SET min_version = ?, max_version = ?",
            [SyncProtocolVersion.current + 1, SyncProtocolVersion.current - 1])
        try node.sell("BIG", "FLOOR")
        let refused = try world.syncOnce(node)
        #expect(
            refused.status == 75 && refused.stderr.contains("mode=incompatible")
                && refused.stderr.contains("cause=protocol") && refused.stderr.contains("empty sync protocol window"),
            "\(refused.status) \(refused.stderr)")
        let status = try node.node.sync.status()
        #expect(status.mode == .incompatible && status.cause == "protocol" && status.outboxPending == 1)
    }

    /// A change that fails because the node's disk is full is not parked and not skipped: the
    /// cycle reports `node_error` with the cause, and the change applies once there is room.
    @Test func aFullNodeDiskStopsTheCycleAndSkipsNothing() throws {
        let world = try SyncWorld()
        let arena = world.directory.file("arena.json")
        try """
        { "format": "venue-reference/1", "venues": [ { "id": "ARENA", "name": "Arena", "timezone": "UTC",
            "sections": [ { "code": "RING", "rows": [ { "labels": "A-T", "seats": 100 } ] } ] } ],
          "events": [ { "id": "FIGHT", "venue": "ARENA", "name": "Fight Night", "starts_at": "2030-05-01T20:00:00Z", "status": "on_sale",
                        "categories": [ { "code": "RING", "name": "Ring", "kind": "seated", "price_minor": 9000, "sections": ["RING"] } ] } ],
          "allocations": [], "staff": [] }
        """.write(toFile: arena, atomically: true, encoding: .utf8)
        _ = try CentralCatalog(connection: world.central).importReference(file: arena, now: world.clock.now())
        let node = try world.makeNode("NODE-A")
        let central = MySQLCentral(configuration: try world.configuration)
        let engine = SyncEngine(node: node.node, central: central, batchSize: 100)
        try node.node.database.execute("VACUUM")
        let pages: Int = try #require(try node.node.database.scalar("PRAGMA page_count"))
        try node.node.database.execute("PRAGMA max_page_count = \(pages)")
        let full = engine.cycle()
        #expect(full.mode == .nodeError && full.cause == "disk_full", "\(full.error ?? "")")
        let fight: Int64 = try #require(
            try world.central.scalar("SELECT seq FROM change_log WHERE entity_id = 'FIGHT'"))
        #expect(try node.node.sync.pullCursor() < fight && node.node.sync.parkedChanges().isEmpty)
        #expect(try node.count("SELECT count(*) FROM event WHERE id = 'FIGHT'") == 0)
        try node.node.database.execute("PRAGMA max_page_count = 1073741823")
        let room = engine.cycle()
        #expect(room.mode == .writable, "\(room.error ?? "")")
        #expect(try node.count("SELECT count(*) FROM event") == 4 && node.node.sync.parkedChanges().isEmpty)
        #expect(try node.count("SELECT count(*) FROM seat WHERE venue_id = 'ARENA'") == 2000)
    }
}
