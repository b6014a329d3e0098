import Central
import MySQLClient
import SyncWire

/// What head office knows of the fleet at one moment, read from central's tables: each node as
/// its pushes left it, the reconciliation job's open discrepancies and last runs, and central's
/// own state. Every age is measured on central's clock (`NOW(3)`), the clock that stamps each
/// node's contact, so a wrong clock on the machine reading it changes nothing.
public struct FleetSnapshot: Sendable {
    /// A node's sync mode as central can tell it (a node reports nothing while it cannot push).
    public enum NodeMode: String, Sendable, CaseIterable {
        /// Heard from within the silence limit, its protocol accepted, central writable.
        case writable
        /// Central refuses writes: no node can push (each keeps its outbox and sells).
        case readOnly = "read_only"
        /// Its last push spoke a protocol version central no longer accepts.
        case incompatible
        /// Not heard from for longer than the silence limit.
        case silent
        /// Retired by head office (gone for good) and not heard from since: never silent.
        case retired
    }

    /// Open (or settling) discrepancies of one event, class, severity and status; those of no
    /// event (a node's clock, silence, sequence, parked records) are counted per node.
    public struct DiscrepancyCount: Sendable, Equatable {
        public let eventID: String?
        public let nodeID: String?
        public let kind: String
        public let severity: String
        public let status: String
        public let count: Int64
    }

    /// The last finished run of one scope.
    public struct LastRun: Sendable, Equatable {
        public let startedAt: Timestamp
        public let finishedAt: Timestamp
        public var seconds: Double { Double(finishedAt.milliseconds - startedAt.milliseconds) / 1000 }
    }

    /// Central's clock when this was read.
    public let now: Timestamp
    public let readOnly: Bool
    /// How many schema migrations central has applied.
    public let schemaVersion: Int
    /// The sync protocol versions central accepts.
    public let protocolVersions: ClosedRange<Int>?
    public let nodes: [NodeReport]
    /// Seconds without contact after which a node is `silent`.
    public let silenceSeconds: Int64
    public let discrepancies: [DiscrepancyCount]
    /// The last full run (every event, every sale) and the last incremental one (every event,
    /// sales since a time), when there was one.
    public let lastFullRun: LastRun?
    public let lastIncrementalRun: LastRun?

    /// Reads everything from `connection` (a few indexed queries: cheap enough for every scrape).
    public static func read(_ connection: MySQLConnection, silenceSeconds: Int64) throws -> FleetSnapshot {
        let now = try NodesReport(connection: connection).centralNow()
        let window = try connection.row("SELECT min_version, max_version FROM sync_protocol WHERE id = 1")
        let low: Int? = try window?.get("min_version")
        let high: Int? = try window?.get("max_version")
        return FleetSnapshot(
            now: now, readOnly: try isReadOnly(connection),
            schemaVersion: try connection.scalar("SELECT COUNT(*) FROM schema_migrations") ?? 0,
            protocolVersions: low.flatMap { low in high.flatMap { low <= $0 ? low...$0 : nil } },
            nodes: try NodesReport(connection: connection).nodes(now: now), silenceSeconds: silenceSeconds,
            discrepancies: try connection.rows(
                """
                SELECT event_id, IF(event_id IS NULL, node_id, NULL) AS node, class, severity, status,
                       COUNT(*) AS count
                FROM discrepancy WHERE status IN ('open', 'settling')
                GROUP BY event_id, node, class, severity, status ORDER BY event_id, node, class, severity, status
                """
            ).map {
                DiscrepancyCount(
                    eventID: try $0.get("event_id"), nodeID: try $0.get("node"), kind: try $0.get("class"),
                    severity: try $0.get("severity"),
                    status: try $0.get("status"), count: try $0.get("count"))
            },
            lastFullRun: try lastRun(connection, incremental: false),
            lastIncrementalRun: try lastRun(connection, incremental: true))
    }

    /// Whether central refuses writes as it refuses a node's (`read_only`, or MySQL's `super_read_only`).
    static func isReadOnly(_ connection: MySQLConnection) throws -> Bool {
        let readOnly: Int64 = try connection.scalar("SELECT @@global.read_only") ?? 0
        if readOnly != 0 { return true }
        // MariaDB has no super_read_only (error 1193); MySQL's implies read_only anyway.
        let superReadOnly: Int64? = try? connection.scalar("SELECT @@global.super_read_only")
        return (superReadOnly ?? 0) != 0
    }

    /// The last finished run over every event, full (no time bound) or incremental (from a time).
    static func lastRun(_ connection: MySQLConnection, incremental: Bool) throws -> LastRun? {
        guard
            let row = try connection.row(
                """
                SELECT started_at, finished_at FROM reconciliation_run
                WHERE mode = 'settle' AND finished_at IS NOT NULL AND scope_event IS NULL
                  AND (scope_since IS NOT NULL) = ?
                ORDER BY id DESC LIMIT 1
                """, [incremental])
        else { return nil }
        return LastRun(startedAt: try row.get("started_at"), finishedAt: try row.get("finished_at"))
    }

    /// The node's mode as central can tell it.
    public func mode(of node: NodeReport) -> NodeMode {
        if node.retired != nil { return .retired }
        if readOnly { return .readOnly }
        if let versions = protocolVersions, !versions.contains(node.protocolVersion) { return .incompatible }
        if (node.silentSeconds ?? Int64.max) > silenceSeconds { return .silent }
        return .writable
    }

    /// Seconds from `time` to ``now`` (central's clock), never negative.
    func age(of time: Timestamp?) -> Double {
        guard let time else { return .infinity }
        return Double(max(0, now.milliseconds - time.milliseconds)) / 1000
    }
}
