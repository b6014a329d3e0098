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

    /// A node restored from a snapshot taken while it synced with central A, after it was moved to
    /// central B: the snapshot names A, and the node must take back from B what it sold since. An
    /// admin re-joins it to B while the take-back is pending, and the take-back comes from B: every
    /// sale is back on the node, at B once each, and the node sells again.
    @Test func aRestoredNodeRejoinsItsNewCentralAndTakesBackFromIt() throws {
        let world = try SyncWorld()
        let node = try world.makeNode("NODE-A")
        #expect(try world.syncOnce(node).status == 0)
        for _ in 0..<2 { try node.sell("BIG", "FLOOR") }
        #expect(try world.syncOnce(node).status == 0)
        let snapshot = world.directory.file("joined-to-a.sqlite")
        #expect(try world.boxoffice(node, ["backup", snapshot]).status == 0)

        let other = try otherCentral(world)
        #expect(try world.boxoffice(node, ["sync", "rejoin", other.id]).status == 0)
        #expect(try world.syncOnce(node, ["--central", other.url]).status == 0)
        for _ in 0..<3 { try node.sell("BIG", "FLOOR") }
        #expect(try world.syncOnce(node, ["--central", other.url]).status == 0)
        try node.sell("BIG", "FLOOR")  // never pushed: carried over by the restore
        let sold = try node.orders()
        #expect(sold.count == 6)

        let restored = try world.boxoffice(node, ["restore", snapshot])
        #expect(restored.status == 0, "\(restored.stderr)")
        #expect(try node.node.sync.joinedCentral()?.identity != other.id, "the snapshot names the first central")
        let rejoin = try world.boxoffice(node, ["sync", "rejoin", other.id])
        #expect(rejoin.status == 0 && rejoin.stdout.contains("now syncs with central \(other.id)"), "\(rejoin.stderr)")
        let sync = try world.syncOnce(node, ["--central", other.url])
        #expect(sync.status == 0 && sync.stderr.contains("sync.taken_back"), "\(sync.stderr)")
        #expect(try world.syncOnce(node, ["--central", other.url]).status == 0)
        #expect(try node.orders() == sold, "the node took back every sale from the central it re-joined")
        let atOther = try SyncWorld.orders(
            orders: other.connection.rows("SELECT id, status, total_minor FROM orders WHERE node_id = 'NODE-A'"),
            tickets: other.connection.rows("SELECT code, order_id, status FROM ticket WHERE node_id = 'NODE-A'"),
            payments: other.connection.rows(
                "SELECT order_id, amount_minor, refunded_minor FROM payment WHERE node_id = 'NODE-A'"))
        #expect(atOther == sold)
        #expect(try node.node.sync.status().recoveryPendingSince == nil)
        let sale = try world.boxoffice(node, ["sell", "BIG", "--category", "FLOOR", "--qty", "1", "--payment", "cash"])
        #expect(sale.status == 0, "\(sale.stderr)")
        #expect(try node.inventoryViolations().isEmpty)
    }

    /// `boxoffice sync rejoin` takes an identity written exactly as central writes it (a UUID in
    /// lowercase, 8-4-4-4-12): anything else is a usage error (exit 2) that says what one looks
    /// like, and the node stays joined where it was.
    @Test func aRejoinTargetMustBeWrittenAsCentralWritesItsIdentity() throws {
        let world = try SyncWorld()
        let node = try world.makeNode("NODE-A")
        #expect(try world.syncOnce(node).status == 0)
        let joined = try #require(try CentralIdentity.read(world.central)).id
        let other = try otherCentral(world).id
        for malformed in [
            "deadbeef", other.uppercased(), other.replacingOccurrences(of: "-", with: ""), "{\(other)}",
            other + " ", other + "\n", " " + other, String(other.dropLast()), other + "0",
            String(other.dropLast(12)) + "-" + String(other.suffix(11)),
            other.replacingOccurrences(of: "-", with: "_"), "g" + String(other.dropFirst()),
        ] {
            let refused = try world.boxoffice(node, ["sync", "rejoin", malformed])
            #expect(
                refused.status == 2 && refused.stderr.contains("is not a central identity: one is 36 characters"),
                "\(malformed): \(refused.status) \(refused.stderr)")
            #expect(try node.node.sync.joinedCentral()?.identity == joined, "\(malformed)")
        }
        let rejoin = try world.boxoffice(node, ["sync", "rejoin", other])
        #expect(rejoin.status == 0, "\(rejoin.stderr)")
    }

    /// `central migrate` on a central whose identity row is missing (deleted by hand) makes a new
    /// identity and says the nodes must be re-joined to it; until then each node refuses it, and
    /// after `boxoffice sync rejoin` it syncs there again.
    @Test func centralMigrateMakesAMissingIdentityAgainAndSaysNodesMustRejoin() throws {
        let world = try SyncWorld()
        let node = try world.makeNode("NODE-A")
        #expect(try world.syncOnce(node).status == 0)
        let lost = try #require(try CentralIdentity.read(world.central)).id
        try world.central.execute("DELETE FROM central_identity")
        let missing = try world.syncOnce(node)
        #expect(missing.status == 75 && missing.stderr.contains("central has no identity"), "\(missing.stderr)")
        let status = try world.central(["migrate", "--status"])
        #expect(status.status == 0 && status.stdout.contains("central identity missing"), "\(status.stdout)")

        let migrate = try world.central(["migrate"])
        #expect(migrate.status == 0, "\(migrate.stderr)")
        let made = try #require(try CentralIdentity.read(world.central)).id
        #expect(made != lost && CentralIdentityFormat.matches(made))
        #expect(
            migrate.stdout.contains("central identity \(made)")
                && migrate.stdout.contains("identity was missing and was made again")
                && migrate.stdout.contains("boxoffice sync rejoin \(made)"), "\(migrate.stdout)")
        let again = try world.central(["migrate"])
        #expect(again.status == 0 && !again.stdout.contains("made again"), "made once: \(again.stdout)")
        #expect(try CentralIdentity.read(world.central)?.id == made)

        let refused = try world.syncOnce(node)
        #expect(refused.status == 75 && refused.stderr.contains("cause=identity"), "\(refused.stderr)")
        #expect(try world.boxoffice(node, ["sync", "rejoin", made]).status == 0)
        try node.sell("BIG", "FLOOR")
        #expect(try world.syncOnce(node).status == 0)
        #expect(try world.centralOrders(node: "NODE-A") == node.orders())
    }
}
