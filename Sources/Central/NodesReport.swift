import MySQLClient
import SyncWire

/// One node as head office sees it: how far its push and pull have come, and how late it is.
public struct NodeReport: Sendable, Codable, Equatable {
    public let id: String
    public let protocolVersion: Int
    /// The node's outbox records central has stored.
    public let acknowledgedSeq: Int64
    public let recordsApplied: Int64
    /// Records central could never apply, kept in `sync_inbox` with their error.
    public let recordsParked: Int64
    /// Records the node still held at its last push, and how old the oldest of them was then.
    public let outboxPending: Int64
    public let lagSeconds: Int64
    /// The last change the node applied, and how many changes for it came after.
    public let pullCursor: Int64
    public let changesBehind: Int64
    public let lastPushAt: Timestamp?
    public let lastSeenAt: Timestamp?
    /// Seconds since central last heard from the node.
    public let silentSeconds: Int64?
}

/// The `central nodes` report.
public struct NodesReport {
    let connection: MySQLConnection

    public init(connection: MySQLConnection) { self.connection = connection }

    /// Every node that ever pushed, by id.
    public func nodes(now: Timestamp) throws -> [NodeReport] {
        try connection.rows("""
            SELECT n.*, (SELECT COUNT(*) FROM change_log c WHERE c.seq > n.pull_cursor AND c.node_id IN ('', n.id)) AS behind
            FROM node n ORDER BY n.id
            """).map { row in
            let oldest = try row.get("oldest_pending_at", as: String?.self).flatMap(Timestamp.init(sqlText:))
            let lastSeen = try row.get("last_seen_at", as: String?.self).flatMap(Timestamp.init(sqlText:))
            return NodeReport(
                id: try row.get("id"), protocolVersion: try row.get("protocol_version"), acknowledgedSeq: try row.get("acknowledged_seq"),
                recordsApplied: try row.get("records_applied"), recordsParked: try row.get("records_parked"),
                outboxPending: try row.get("outbox_pending"),
                lagSeconds: oldest.map { max(0, (now.milliseconds - $0.milliseconds) / 1000) } ?? 0,
                pullCursor: try row.get("pull_cursor"), changesBehind: try row.get("behind"),
                lastPushAt: try row.get("last_push_at", as: String?.self).flatMap(Timestamp.init(sqlText:)), lastSeenAt: lastSeen,
                silentSeconds: lastSeen.map { max(0, (now.milliseconds - $0.milliseconds) / 1000) })
        }
    }

    /// A node's parked records with their errors, oldest first.
    public func parked(node: String) throws -> [(seq: Int64, type: String, entityID: String, error: String)] {
        try connection.rows("""
            SELECT seq, record_type, entity_id, error FROM sync_inbox WHERE status = 'parked' AND node_id = ? ORDER BY seq
            """, [node]).map { (try $0.get("seq"), try $0.get("record_type"), try $0.get("entity_id"), try $0.get("error") ?? "") }
    }
}
