import Central
import Foundation
import MySQLClient
import SyncEngine
import SyncWire
import TestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// How the daemon's connection to central heals after an operational error.
@Suite struct CentralConnectionTests {
    /// MariaDB reads a session's database-level grants when it connects: a session opened while
    /// the app user had lost its write grants keeps refusing writes (1142) after they are given
    /// back. The endpoint drops the session on such an error, and the next attempt reconnects.
    @Test func aGrantGivenBackIsSeenAtTheNextAttempt() throws {
        let world = try SyncWorld()
        let node = try world.makeNode("NODE-A")
        #expect(try world.syncOnce(node).status == 0)
        for _ in 0..<3 { try node.sell("BIG", "FLOOR") }
        let user = try world.makeUser(grants: "SELECT, INSERT, UPDATE, DELETE")
        try world.server.sql("REVOKE INSERT, UPDATE, DELETE ON \(world.databaseName).* FROM '\(user.name)'@'localhost'")
        let central = MySQLCentral(configuration: try MySQLConfiguration(url: user.url, environment: user.environment))
        var sessions = [String]()
        central.onEvent = { event, fields in if event == "central.connected" { sessions.append(fields["session"]!) } }
        let engine = SyncEngine(node: node.node, central: central, batchSize: 100)

        let refused = engine.cycle()
        #expect(refused.mode == .unreachable && refused.cause == "privileges", "\(refused.error ?? "")")
        #expect(refused.error?.contains("1142") == true, "\(refused.error ?? "")")
        try world.server.sql("GRANT INSERT, UPDATE, DELETE ON \(world.databaseName).* TO '\(user.name)'@'localhost'")
        let healed = engine.cycle()
        #expect(healed.mode == .writable && healed.pushed == 3, "\(healed.error ?? "")")
        #expect(try world.centralOrders(node: "NODE-A") == node.orders())
        #expect(sessions.count == 2 && sessions[0] != sessions[1], "\(sessions)")
    }

    /// A deadlock or a lock wait leaves the session as good as it was: no reconnection for it.
    @Test func contentionKeepsTheSession() throws {
        let world = try SyncWorld()
        let node = try world.makeNode("NODE-A")
        let central = MySQLCentral(
            configuration: try MySQLConfiguration(
                url: world.url + "&lock_wait_timeout=1", environment: world.environment))
        var sessions = 0
        central.onEvent = { event, _ in if event == "central.connected" { sessions += 1 } }
        let engine = SyncEngine(node: node.node, central: central, batchSize: 100)
        #expect(engine.cycle().mode == .writable)
        try node.sell("BIG", "FLOOR")
        let blocker = try MySQLConnection(try world.configuration)
        try blocker.execute("START TRANSACTION")
        try blocker.execute("SELECT * FROM node WHERE id = 'NODE-A' FOR UPDATE")
        let waited = engine.cycle()
        try blocker.execute("ROLLBACK")
        #expect(waited.mode == .writable && waited.cause == "lock_wait_timeout", "\(waited.error ?? "")")
        #expect(engine.cycle().pushed == 1)
        #expect(sessions == 1)
    }
}

extension SyncWorld {
    /// A MariaDB user of this central with `grants` on its database (a database-level grant, as
    /// an administrator gives one), and what a process needs to connect as it.
    func makeUser(grants: String) throws -> (name: String, url: String, environment: [String: String]) {
        let name = "user_\(UUID().uuidString.prefix(8).lowercased())"
        try server.sql(
            "CREATE USER '\(name)'@'localhost' IDENTIFIED BY '\(name)-password'; "
                + "GRANT \(grants) ON \(databaseName).* TO '\(name)'@'localhost'")
        let passwordFile = directory.file("\(name).password")
        try "\(name)-password\n".write(toFile: passwordFile, atomically: true, encoding: .utf8)
        chmod(passwordFile, 0o600)
        let url = url.replacingOccurrences(of: "venue_app@", with: "\(name)@")
        return (name, url, ["CENTRAL_URL": url, "CENTRAL_PASSWORD_FILE": passwordFile])
    }
}
