import MySQLClient
import SyncWire

/// One node as head office sees it: how far its push and pull have come, and how late it is.
public struct NodeReport: Sendable, Codable, Equatable {
    public let id: String
    public let protocolVersion: Int
    /// The node's epoch: moved on by every restore of its database.
    public let epoch: Int64
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
    /// Seconds since central last heard from the node (central's clock).
    public let silentSeconds: Int64?
    /// How far the node's clock was ahead of central's (negative: behind) at its last push.
    public let clockOffsetSeconds: Int64?
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
                id: try row.get("id"), protocolVersion: try row.get("protocol_version"), epoch: try row.get("epoch"),
                acknowledgedSeq: try row.get("acknowledged_seq"),
                recordsApplied: try row.get("records_applied"), recordsParked: try row.get("records_parked"),
                outboxPending: try row.get("outbox_pending"),
                lagSeconds: oldest.map { max(0, (now.milliseconds - $0.milliseconds) / 1000) } ?? 0,
                pullCursor: try row.get("pull_cursor"), changesBehind: try row.get("behind"),
                lastPushAt: try row.get("last_push_at", as: String?.self).flatMap(Timestamp.init(sqlText:)), lastSeenAt: lastSeen,
                silentSeconds: lastSeen.map { max(0, (now.milliseconds - $0.milliseconds) / 1000) },
                clockOffsetSeconds: try row.get("clock_offset_ms", as: Int64?.self).map { $0 / 1000 })
        }
    }

    /// A node's parked records with their errors, oldest first.
    public func parked(node: String) throws -> [ParkedRecord] {
        try connection.rows("""
            SELECT seq, record_type, entity_id, error, received_at FROM sync_inbox WHERE status = 'parked' AND node_id = ? ORDER BY seq
            """, [node]).map { row in
            ParkedRecord(seq: try row.get("seq"), type: try row.get("record_type"), entityID: try row.get("entity_id"),
                         error: try row.get("error") ?? "", receivedAt: Timestamp(sqlText: try row.get("received_at")))
        }
    }
}

/// A record central could never apply, kept with its error until it is applied again.
public struct ParkedRecord: Sendable, Codable, Equatable {
    public let seq: Int64
    public let type: String
    public let entityID: String
    public let error: String
    /// When central received it.
    public let receivedAt: Timestamp?
}
