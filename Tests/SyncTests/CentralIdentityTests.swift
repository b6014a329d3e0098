import Central
import Foundation
import MySQLClient
import SyncWire
import TestSupport
import Testing

@testable import Ticketing

#if canImport(Glibc)
    import Glibc
#endif

/// A node syncs with the central it joined and no other: a node pointed at the wrong central
/// stops with `incompatible` (cause `identity`) and sends it nothing, a central restored from a
/// backup keeps its identity, and moving a node to another central is `boxoffice sync rejoin`.
@Suite struct CentralIdentityTests {
    /// Another central on the same server: migrated (its own identity) and holding the same catalog.
    private func otherCentral(_ world: SyncWorld) throws -> (url: String, connection: MySQLConnection, id: String) {
        let url = try world.server.freshDatabase()
        let connection = try MySQLConnection(MySQLConfiguration(url: url, environment: world.server.environment))
        _ = try CentralMigrator(connection: connection).migrate(dryRun: false, now: world.clock.now())
        let file = world.directory.file("other.json")
        try SyncWorld.fixture.write(toFile: file, atomically: true, encoding: .utf8)
        _ = try CentralCatalog(connection: connection).importReference(file: file, now: world.clock.now())
        return (url, connection, try #require(try CentralIdentity.read(connection)).id)
    }

    @Test func aNodePointedAtAnotherCentralStopsAndSendsItNothingUntilRejoined() throws {
        let world = try SyncWorld()
        let node = try world.makeNode("NODE-A")
        #expect(try world.syncOnce(node).status == 0)
        let joined = try #require(try CentralIdentity.read(world.central)).id
        #expect(try node.node.sync.joinedCentral()?.identity == joined)
        for _ in 0..<3 { try node.sell("BIG", "FLOOR") }
        #expect(try world.syncOnce(node).status == 0)
        let cursor = try node.node.sync.pullCursor()

        let other = try otherCentral(world)
        #expect(other.id != joined)
        let wrong = try world.syncOnce(node, ["--central", other.url])
        #expect(wrong.status == 75, "\(wrong.stderr)")
        #expect(
            wrong.stderr.contains("mode=incompatible") && wrong.stderr.contains("cause=identity")
                && wrong.stderr.contains("not central \(joined), which this node joined")
                && wrong.stderr.contains("boxoffice sync rejoin \(other.id)"), "\(wrong.stderr)")
        #expect(!wrong.stderr.contains("pull.rewound") && !wrong.stderr.contains("push.resend"))
        #expect(try other.connection.scalar("SELECT COUNT(*) FROM node", as: Int.self) == 0)
        #expect(try other.connection.scalar("SELECT COUNT(*) FROM sync_inbox", as: Int.self) == 0)
        #expect(try node.node.sync.pullCursor() == cursor)
        let status = try node.node.sync.status()
        #expect(status.mode == .incompatible && status.cause == "identity" && status.centralIdentity == joined)
        try node.sell("BIG", "FLOOR")  // the node keeps selling meanwhile
        #expect(try world.syncOnce(node).status == 0, "its own central still works")

        // Re-joining is an admin's explicit act, refused while the daemon runs.
        let daemon = try world.startDaemon(node, ["--interval", "200ms"])
        #expect(waitUntil(timeout: 5) { daemon.stderr.contains("syncd.started") } != nil)
        let busy = try world.boxoffice(node, ["sync", "rejoin", other.id])
        #expect(busy.status == 1 && busy.stderr.contains("stop it before re-joining"), "\(busy.stderr)")
        daemon.send(SIGTERM)
        #expect(daemon.wait() == 0)
        let malformed = try world.boxoffice(node, ["sync", "rejoin", "somewhere-else!"])
        #expect(malformed.status == 2 && malformed.stderr.contains("not a central identity"), "\(malformed.stderr)")
        let rejoin = try world.boxoffice(node, ["sync", "rejoin", other.id])
        #expect(
            rejoin.status == 0
                && rejoin.stdout.contains("now syncs with central \(other.id) (it had joined \(joined))"),
            "\(rejoin.stderr)")
        let moved = try world.syncOnce(node, ["--central", other.url])
        #expect(moved.status == 0, "\(moved.stderr)")
        let orders = try SyncWorld.orders(
            orders: other.connection.rows("SELECT id, status, total_minor FROM orders WHERE node_id = 'NODE-A'"),
            tickets: other.connection.rows("SELECT code, order_id, status FROM ticket WHERE node_id = 'NODE-A'"),
            payments: other.connection.rows(
                "SELECT order_id, amount_minor, refunded_minor FROM payment WHERE node_id = 'NODE-A'"))
        #expect(try orders.count == 4 && orders == node.orders(), "the new central holds the node's whole history")
        #expect(try node.node.sync.status().centralIdentity == other.id)
        let back = try world.syncOnce(node)
        #expect(back.status == 75 && back.stderr.contains("cause=identity"), "the first central is now the other one")
    }

    /// A central restored from its dump is the same central: the node syncs on, and takes no
    /// step back in its identity.
    @Test func aCentralRestoredFromItsDumpKeepsItsIdentity() throws {
        let world = try SyncWorld()
        let node = try world.makeNode("NODE-A")
        #expect(try world.syncOnce(node).status == 0)
        let identity = try #require(try CentralIdentity.read(world.central))
        let backup = world.directory.file("central.sql")
        try world.server.dump(world.databaseName, to: backup)
        try node.sell("BIG", "FLOOR")
        #expect(try world.syncOnce(node).status == 0)
        try world.server.load(world.databaseName, from: backup)
        #expect(try CentralIdentity.read(world.central) == identity)
        let sync = try world.syncOnce(node)
        #expect(sync.status == 0 && sync.stderr.contains("push.resend"), "\(sync.stdout)\(sync.stderr)")
        #expect(try world.centralOrders(node: "NODE-A") == node.orders())
    }
}
