import Foundation

/// A real MariaDB server started by `Scripts/mysql-sandbox` on a private data dir and socket.
///
/// ``shared`` is the server `Scripts/test` started (found through `MYSQL_SANDBOX_DIR`), or one
/// started on first use and stopped when the test process exits. Tests that change global server
/// state (read-only, stop/start) use a ``makePrivate()`` server of their own.
public final class MariaDBSandbox: @unchecked Sendable {  // immutable after init; the server is external
    public let directory: String
    public let url: String
    public let passwordFile: String
    private let owned: Bool

    static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Scripts/mysql-sandbox").path

    private init(directory: String, owned: Bool, tls: String? = nil) throws {
        self.directory = directory
        self.owned = owned
        let result = try ProcessRunner.run(
            Self.script, ["start", "--dir", directory] + (tls.map { ["--tls", $0] } ?? []))
        guard result.status == 0 else {
            throw SandboxError(message: "Scripts/mysql-sandbox start failed: \(result.stderr)")
        }
        url = result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        passwordFile = directory + "/app.password"
        if owned {
            // Stopped and deleted once this process is gone, however it ends.
            _ = try ProcessRunner.run(Self.script, ["watch", "--dir", directory, "--pid", String(getpid())])
        }
    }

    /// The server for this test run.
    public static let shared: MariaDBSandbox = {
        if let directory = ProcessInfo.processInfo.environment["MYSQL_SANDBOX_DIR"] {
            return try! MariaDBSandbox(directory: directory, owned: false)
        }
        return try! MariaDBSandbox(directory: NSTemporaryDirectory() + "venue-mysql-\(getpid())", owned: true)
    }()

    /// A server of its own, stopped and deleted when released; with `tls`, a folder holding
    /// `ca.pem`, `server.pem` and `server-key.pem`, it serves TLS.
    public static func makePrivate(tls: String? = nil) throws -> MariaDBSandbox {
        try MariaDBSandbox(
            directory: NSTemporaryDirectory() + "venue-mysql-" + UUID().uuidString.prefix(8), owned: true, tls: tls)
    }

    /// The server's TCP port.
    public var port: String { url.split(separator: ":").last?.split(separator: "/").first.map(String.init) ?? "" }

    deinit {
        if owned { _ = try? ProcessRunner.run(Self.script, ["stop", "--dir", directory, "--clean"]) }
    }

    /// The environment a process needs to reach this server's `central` database.
    public var environment: [String: String] { ["CENTRAL_URL": url, "CENTRAL_PASSWORD_FILE": passwordFile] }

    /// The URL of a new, empty database on this server (`central_<random>`), for one test.
    public func freshDatabase() throws -> String {
        let name = "central_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").prefix(12).lowercased()
        try sql("CREATE DATABASE \(name) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin")
        return url.replacingOccurrences(of: "/central?", with: "/\(name)?")
    }

    /// Runs SQL as the server's administrator.
    public func sql(_ statement: String) throws {
        let result = try ProcessRunner.run(Self.script, ["sql", "--dir", directory, statement])
        guard result.status == 0 else { throw SandboxError(message: "\(statement): \(result.stderr)") }
    }

    /// A consistent backup of `database` in `file` (`mariadb-dump --single-transaction`).
    public func dump(_ database: String, to file: String) throws {
        let result = try ProcessRunner.run(Self.script, ["dump", "--dir", directory, database, file])
        guard result.status == 0 else { throw SandboxError(message: "dump of \(database) failed: \(result.stderr)") }
    }

    /// Loads a backup made by ``dump(_:to:)`` back into `database`: central restored from a backup.
    public func load(_ database: String, from file: String) throws {
        let result = try ProcessRunner.run(Self.script, ["load", "--dir", directory, database, file])
        guard result.status == 0 else { throw SandboxError(message: "load into \(database) failed: \(result.stderr)") }
    }

    /// The database a URL of this server names.
    public static func databaseName(of url: String) -> String {
        String(URLComponents(string: url)?.path.dropFirst() ?? "")
    }

    /// Stops the server, keeping its data.
    public func stop() throws {
        _ = try ProcessRunner.run(Self.script, ["stop", "--dir", directory])
    }

    /// Starts the server again on the same data dir and port.
    public func start() throws {
        let result = try ProcessRunner.run(Self.script, ["start", "--dir", directory, "--port", port])
        guard result.status == 0 else { throw SandboxError(message: "restart failed: \(result.stderr)") }
    }
}

/// The sandbox could not do what a test asked.
public struct SandboxError: Error, CustomStringConvertible {
    public let message: String
    public var description: String { message }
}
