import Foundation
import TestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// No secret in any message, log, argv or `ps` output, and one daemon per database however the
/// path is spelled.
@Suite struct SecretTests {
    static let planted = "Pl4nted-S3cret-7731"

    @Test func aPlantedPasswordAppearsNowhere() throws {
        let world = try SyncWorld()
        let node = try world.makeNode("NODE-A")
        var outputs = [String]()
        func run(_ product: String, _ arguments: [String], _ environment: [String: String]) throws {
            let result = try ProcessRunner.run(ProcessRunner.product(product), arguments, environment: environment)
            outputs.append(result.stdout + result.stderr)
        }
        let wrong = ["CENTRAL_URL": world.url, "CENTRAL_PASSWORD": Self.planted]
        try run("venue-syncd", ["--db", node.path, "--once"], wrong)
        try run("central", ["nodes"], wrong)
        try run("central", ["nodes", "--json"], wrong)
        for url in [
            "mysqlx://venue_app:\(Self.planted)@127.0.0.1/central",
            "mysql://venue_app:\(Self.planted)@127.0.0.1/central",
            "mysql://venue_app:\(Self.planted)@127.0.0.1:1/central",
        ] {
            try run("central", ["nodes", "--central", url], [:])
            try run("venue-syncd", ["--db", node.path, "--once", "--central", url], [:])
        }
        let file = world.directory.file("planted.password")
        try (Self.planted + "\n").write(toFile: file, atomically: true, encoding: .utf8)
        chmod(file, 0o644)
        try run("central", ["nodes"], ["CENTRAL_URL": world.url, "CENTRAL_PASSWORD_FILE": file])
        #expect(outputs.allSatisfy { !$0.contains(Self.planted) }, "\(outputs.filter { $0.contains(Self.planted) })")
        #expect(
            outputs.contains { $0.contains("Access denied") } && outputs.contains { $0.contains("open to other users") }
        )

        // A running daemon, as a user whose password is the planted one: its argv, its log, /health and /metrics.
        chmod(file, 0o600)
        let user = "planted_\(UUID().uuidString.prefix(6).lowercased())"
        try world.server.sql(
            "CREATE USER '\(user)'@'localhost' IDENTIFIED BY '\(Self.planted)'; "
                + "GRANT ALL PRIVILEGES ON \(world.databaseName).* TO '\(user)'@'localhost'")
        defer { try? world.server.sql("DROP USER '\(user)'@'localhost'") }
        let port = Network.freePort()
        let daemon = try BackgroundProcess(
            ProcessRunner.product("venue-syncd"),
            ["--db", node.path, "--interval", "200ms", "--http", "127.0.0.1:\(port)"],
            environment: [
                "CENTRAL_URL": world.url.replacingOccurrences(of: "venue_app@", with: "\(user)@"),
                "CENTRAL_PASSWORD_FILE": file,
            ], logDirectory: world.directory.path)
        #expect(
            waitUntil(timeout: 5) { Network.get(port: port, path: "/health")?.body.contains("\"writable\"") == true }
                != nil, "\(daemon.stderr)")
        let argv = try String(contentsOfFile: "/proc/\(daemon.pid)/cmdline", encoding: .utf8)
        let seen = [
            argv, daemon.stderr, Network.get(port: port, path: "/health")?.body ?? "",
            Network.get(port: port, path: "/metrics")?.body ?? "",
        ]
        #expect(seen.allSatisfy { !$0.contains(Self.planted) })
        #expect(daemon.stderr.contains("tls=disabled"), "the log names the TLS mode in use")
        daemon.send(SIGTERM)
        #expect(daemon.wait() == 0)
    }

    /// The instance lock is named after the database's real path: a second daemon reaching the
    /// same database through a symlink is refused.
    @Test func aSecondDaemonThroughASymlinkIsRefused() throws {
        let world = try SyncWorld()
        let node = try world.makeNode("NODE-A")
        let first = try world.startDaemon(node, ["--interval", "200ms"])
        #expect(waitUntil(timeout: 5) { first.stderr.contains("syncd.started") } != nil)
        let link = world.directory.file("linked.sqlite")
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: node.path)
        let second = try ProcessRunner.run(
            ProcessRunner.product("venue-syncd"), ["--db", link, "--once"], environment: world.environment)
        #expect(
            second.status == 1 && second.stderr.contains("another venue-syncd is already running"), "\(second.stderr)")
        first.send(SIGTERM)
        #expect(first.wait() == 0)
    }
}
