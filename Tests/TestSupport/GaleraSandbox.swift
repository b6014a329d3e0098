import Foundation

/// A real three-member MariaDB Galera cluster started by `Scripts/galera-sandbox` on loopback.
///
/// ``shared`` is the cluster `Scripts/test` started (found through `GALERA_SANDBOX_DIR`), or one
/// started on first use and stopped when the test process exits. Tests that kill or isolate a
/// member bring it back before they end, so the next test finds three `Synced` members.
public final class GaleraSandbox: @unchecked Sendable {  // immutable after init; the servers are external
    public let directory: String
    /// The URL naming every member, in order 1, 2, 3.
    public let url: String
    public let passwordFile: String

    static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Scripts/galera-sandbox").path

    private init(directory: String, owned: Bool) throws {
        self.directory = directory
        let result = try ProcessRunner.run(Self.script, ["start", "--dir", directory])
        guard result.status == 0 else {
            throw SandboxError(message: "Scripts/galera-sandbox start failed: \(result.stderr)")
        }
        url = result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        passwordFile = directory + "/app.password"
        if owned {
            // Stopped and deleted once this process is gone, however it ends.
            _ = try ProcessRunner.run(Self.script, ["watch", "--dir", directory, "--pid", String(getpid())])
        }
    }

    /// The cluster for this test run.
    public static let shared: GaleraSandbox = {
        if let directory = ProcessInfo.processInfo.environment["GALERA_SANDBOX_DIR"] {
            return try! GaleraSandbox(directory: directory, owned: false)
        }
        return try! GaleraSandbox(directory: NSTemporaryDirectory() + "venue-galera-\(getpid())", owned: true)
    }()

    /// Each member's `127.0.0.1:PORT`, in the URL's order (member 1 first).
    public var members: [String] {
        let authority = url.dropFirst("mysql://".count).split(separator: "/")[0]
        return authority.split(separator: "@")[1].split(separator: ",").map(String.init)
    }

    /// A URL naming the members in the order given (1-based), for `database`.
    public func url(members order: [Int], database: String = "central") -> String {
        "mysql://venue_app@" + order.map { members[$0 - 1] }.joined(separator: ",") + "/" + database
    }

    /// The environment a process needs to reach `url`.
    public func environment(url: String) -> [String: String] {
        ["CENTRAL_URL": url, "CENTRAL_PASSWORD_FILE": passwordFile]
    }

    /// A new, empty database on the cluster (`central_<random>`).
    public func freshDatabase() throws -> String {
        let name = "central_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").prefix(12).lowercased()
        try sql("CREATE DATABASE \(name) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin")
        return name
    }

    /// Runs SQL as admin on member `member` (1-based), or on the first running one.
    public func sql(_ statement: String, member: Int? = nil) throws {
        try run(["sql", "--dir", directory] + (member.map { ["--member", String($0)] } ?? []) + [statement])
    }

    /// Runs SQL as admin on every running member (`read_only` is each member's own).
    public func sqlOnEveryMember(_ statement: String) throws {
        try run(["sql-all", "--dir", directory, statement])
    }

    /// SIGKILLs member `member` and waits until it is gone.
    public func kill(member: Int) throws { try run(["kill", "--dir", directory, String(member)]) }

    /// Starts member `member` again and waits until it is `Synced`.
    public func revive(member: Int) throws { try run(["revive", "--dir", directory, String(member)]) }

    /// Cuts member `member` off from the others: it leaves the primary component (1047 on queries).
    public func isolate(member: Int) throws { try run(["isolate", "--dir", directory, String(member)]) }

    /// Ends that isolation and waits until the member is `Synced` again.
    public func rejoin(member: Int) throws { try run(["rejoin", "--dir", directory, String(member)]) }

    /// Each member's line: number, port, pid, state (or `down`).
    public func states() throws -> String {
        try ProcessRunner.run(Self.script, ["members", "--dir", directory]).stdout
    }

    private func run(_ arguments: [String]) throws {
        let result = try ProcessRunner.run(Self.script, arguments)
        guard result.status == 0 else {
            throw SandboxError(message: "galera-sandbox \(arguments.joined(separator: " ")): \(result.stderr)")
        }
    }
}
