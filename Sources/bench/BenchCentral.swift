import Central
import Foundation
import MySQLClient
import SyncWire

/// A throwaway MariaDB server (Scripts/mysql-sandbox), started once per run; each scenario gets a
/// database of its own on it (``database(_:)``).
final class BenchCentral {
    let directory: String
    let configuration: MySQLConfiguration
    nonisolated(unsafe) private static var started: BenchCentral?

    /// The run's server, started on first use.
    static func shared(in parent: String) throws -> BenchCentral {
        if let started { return started }
        started = try BenchCentral(in: parent)
        return started!
    }

    /// Stops the run's server, if one was started.
    static func stopShared() { started = nil }

    /// A fresh, migrated central database named `name`, and its configuration.
    func database(_ name: String) throws -> (MySQLConnection, MySQLConfiguration) {
        let admin = try MySQLConnection(configuration)
        try admin.executeScript(
            "DROP DATABASE IF EXISTS central_\(name); CREATE DATABASE central_\(name) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin"
        )
        // Batch statements (planting a million orders, reconciling them) outlast the 30 s default.
        let url =
            configuration.description.replacingOccurrences(of: "/central?", with: "/central_\(name)?")
            + "&read_timeout=3600"
        let scoped = try MySQLConfiguration(
            url: url, environment: ["CENTRAL_PASSWORD_FILE": directory + "/app.password"])
        let connection = try MySQLConnection(scoped)
        _ = try CentralMigrator(connection: connection).migrate(dryRun: false, now: SystemWallClock().now())
        return (connection, scoped)
    }
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path

    init(in parent: String) throws {
        directory = parent + "/mysql"
        // The buffer pool the reconcile target is stated for.
        let url = try Self.sandbox(["start", "--dir", directory], environment: ["SANDBOX_BUFFER_POOL": "256M"])
        configuration = try MySQLConfiguration(
            url: url.trimmingCharacters(in: .whitespacesAndNewlines),
            environment: ["CENTRAL_PASSWORD_FILE": directory + "/app.password"])
    }

    deinit { _ = try? Self.sandbox(["stop", "--dir", directory, "--clean"]) }

    /// What a process needs to reach `configuration`'s database.
    func environment(_ configuration: MySQLConfiguration) -> [String: String] {
        ["CENTRAL_URL": configuration.description, "CENTRAL_PASSWORD_FILE": directory + "/app.password"]
    }

    @discardableResult
    static func sandbox(_ arguments: [String], environment: [String: String] = [:]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: root + "/Scripts/mysql-sandbox")
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw BenchError("mysql-sandbox \(arguments[0]) failed") }
        return String(decoding: data, as: UTF8.self)
    }
}
