import Central
import MySQLClient
import SyncWire

/// What `central smoke` found, a line per check.
public struct CentralSmokeReport: Sendable, Codable, Equatable {
    public struct Check: Sendable, Codable, Equatable {
        public let name: String
        public let passed: Bool
        public let detail: String
    }

    public let checks: [Check]
    public var passed: Bool { checks.allSatisfy(\.passed) }
}

/// Head office's smoke test after a deployment: the schema is this build's, central takes writes,
/// the nodes' user may run every statement a node's daemon runs (``NodeWriteProbe``, rolled
/// back), every node has been heard from lately, and a dry-run reconciliation finds nothing
/// critical or high. It records and settles nothing.
public struct CentralSmokeTest {
    let connection: MySQLConnection
    let nodesConnection: Result<MySQLConnection, any Error>?

    /// A smoke test over `connection`; `nodesConnection` is central as the nodes' user connects
    /// to it (nil: the writes are checked on `connection`, as its own user).
    public init(connection: MySQLConnection, nodesConnection: Result<MySQLConnection, any Error>? = nil) {
        self.connection = connection
        self.nodesConnection = nodesConnection
    }

    /// Runs every check; `silenceSeconds` is how long a node may have been quiet.
    public func run(silenceSeconds: Int64, now: Timestamp) -> CentralSmokeReport {
        var checks = [CentralSmokeReport.Check]()
        func check(_ name: String, _ body: () throws -> (Bool, String)) {
            do {
                let (passed, detail) = try body()
                checks.append(.init(name: name, passed: passed, detail: detail))
            } catch {
                checks.append(.init(name: name, passed: false, detail: "\(error)"))
            }
        }
        check("schema") {
            let status = try CentralMigrator(connection: connection).status()
            return status.pending.isEmpty
                ? (true, "v\(status.version), nothing pending")
                : (
                    false,
                    "v\(status.version); pending: \(status.pending.joined(separator: ", ")) (run 'central migrate')"
                )
        }
        check("writable") {
            let readOnly: Int = try connection.scalar("SELECT @@global.read_only") ?? 1
            return readOnly == 0
                ? (true, "read_only is off") : (false, "central is read-only (a rollback in progress?)")
        }
        check("writes") {
            let probed = try nodesConnection?.get() ?? connection
            let user: String = try probed.scalar("SELECT CURRENT_USER()") ?? "?"
            let outcome = try NodeWriteProbe(connection: probed).run()
            guard outcome.refused.isEmpty else {
                let shown = outcome.refused.prefix(3).joined(separator: "; ")
                let more = outcome.refused.count > 3 ? " (and \(outcome.refused.count - 3) more)" : ""
                return (false, "as \(user), \(outcome.refused.count) of \(outcome.statements) refused: \(shown)\(more)")
            }
            return (
                true,
                "as \(user): \(outcome.statements) statements on \(NodeWriteProbe.writes.count) tables, rolled back"
            )
        }
        check("nodes") {
            let all = try NodesReport(connection: connection).nodes(now: now)
            guard !all.isEmpty else { return (true, "no node has pushed yet") }
            // A retired node is gone for good: not waited for.
            let nodes = all.filter { $0.retired == nil }
            let retired = all.count - nodes.count
            let silent = nodes.filter { ($0.silentSeconds ?? Int64.max) > silenceSeconds }
            return silent.isEmpty
                ? (
                    true,
                    "\(nodes.count) node(s), each heard from within \(silenceSeconds)s"
                        + (retired > 0 ? "; \(retired) retired" : "")
                )
                : (
                    false,
                    "silent: "
                        + silent.map { "\($0.id) (\($0.silentSeconds.map { "\($0)s" } ?? "never"))" }
                        .joined(separator: ", ")
                )
        }
        check("reconcile") {
            var scope = ReconciliationScope()
            scope.silenceSeconds = silenceSeconds
            let report = try Reconciler(connection: connection).run(scope: scope, dryRun: true, now: now)
            let serious = report.discrepancies.filter { $0.finding.severity < .warning }
            let detail = "dry run: \(report.discrepancies.count) open (\(serious.count) critical or high)"
            return (serious.isEmpty, detail + (serious.first.map { "; first: \($0.finding.key)" } ?? ""))
        }
        return CentralSmokeReport(checks: checks)
    }
}
