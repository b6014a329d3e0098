import Central
import Foundation
import MySQLClient
import SyncWire

/// A three-member Galera cluster (Scripts/galera-sandbox): the one `GALERA_SANDBOX_DIR` names
/// (Scripts/test starts one), or one started for this run and stopped with it.
final class BenchCluster {
    let directory: String
    let url: String
    private let owned: Bool
    nonisolated(unsafe) private static var started: BenchCluster?

    /// The run's cluster, started on first use.
    static func shared(in parent: String) throws -> BenchCluster {
        if let started { return started }
        started = try BenchCluster(in: parent)
        return started!
    }

    /// Stops the run's cluster, if this run started one.
    static func stopShared() { started = nil }

    init(in parent: String) throws {
        if let given = ProcessInfo.processInfo.environment["GALERA_SANDBOX_DIR"] {
            directory = given
            owned = false
        } else {
            directory = parent + "/galera"
            owned = true
        }
        url = try Self.sandbox(["start", "--dir", directory]).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    deinit { if owned { _ = try? Self.sandbox(["stop", "--dir", directory, "--clean"]) } }

    /// A fresh, migrated central database `central_NAME` on the cluster; the URL for it lists
    /// the members from the one `rotation` picks (rotation % 3), so nodes spread over them.
    func database(_ name: String) throws -> (connection: MySQLConnection, url: @Sendable (Int) -> String) {
        _ = try Self.sandbox([
            "sql", "--dir", directory,
            "DROP DATABASE IF EXISTS central_\(name); CREATE DATABASE central_\(name) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin",
        ])
        let members = url.dropFirst("mysql://venue_app@".count).split(separator: "/")[0].split(separator: ",")
            .map(String.init)
        let make: @Sendable (Int) -> String = { rotation in
            let first = rotation % members.count
            return "mysql://venue_app@" + (members[first...] + members[..<first]).joined(separator: ",")
                + "/central_\(name)?read_timeout=3600"
        }
        let connection = try MySQLConnection(try configuration(make(0)))
        _ = try CentralMigrator(connection: connection).migrate(dryRun: false, now: SystemWallClock().now())
        return (connection, make)
    }

    func configuration(_ url: String) throws -> MySQLConfiguration {
        try MySQLConfiguration(url: url, environment: ["CENTRAL_PASSWORD_FILE": directory + "/app.password"])
    }

    @discardableResult
    static func sandbox(_ arguments: [String]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: BenchCentral.root + "/Scripts/galera-sandbox")
        process.arguments = arguments
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw BenchError("galera-sandbox \(arguments[0]) failed") }
        return String(decoding: data, as: UTF8.self)
    }
}
