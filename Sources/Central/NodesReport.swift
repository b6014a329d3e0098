import CentralSync
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
    /// How long the oldest of those changes has waited for the node to pull it (central's clock;
    /// 0 when the node had pulled everything at its last report).
    public let pullLagSeconds: Int64
    public let lastPushAt: Timestamp?
    public let lastSeenAt: Timestamp?
    /// Seconds since central last heard from the node (central's clock).
    public let silentSeconds: Int64?
    /// How far the node's clock was ahead of central's (negative: behind) at its last push.
    public let clockOffsetSeconds: Int64?
    /// The zone people read the node's times in (its venues').
    public let timezone: String
    /// Set while the node is retired (``NodeRetirements``): left out of the silence checks.
    public let retired: NodeRetirement?
    /// The last retirement, once it ended: by ``reinstated``, or else by the node's own contact
    /// after it, which made it active again by itself.
    public let returnedFrom: NodeRetirement?
    /// The `central nodes reinstate` that ended ``returnedFrom``.
    public let reinstated: NodeReinstatement?

    /// Central heard from the node after head office retired it, and no one has reinstated it
    /// since: a box thought gone is selling again (`VenueRetiredNodeBack`). `central nodes
    /// reinstate` says it is meant to be.
    public var backWithoutReinstatement: Bool { returnedFrom != nil && reinstated == nil }
}

/// The `central nodes` report.
public struct NodesReport {
    let connection: MySQLConnection

    public init(connection: MySQLConnection) { self.connection = connection }

    /// Central's clock (`NOW(3)`), the one that stamps each node's contact: ages measured on it
    /// are right whatever the clock of the machine that reads them.
    public func centralNow() throws -> Timestamp {
        try CentralClock.timestamp(try connection.scalar("SELECT CAST(NOW(3) AS CHAR)") ?? "")
    }

    /// The sync protocol versions central accepts, nil when it publishes none.
    public func protocolVersions() throws -> ClosedRange<Int>? {
        let window = try connection.row("SELECT min_version, max_version FROM sync_protocol WHERE id = 1")
        let low: Int? = try window?.get("min_version")
        let high: Int? = try window?.get("max_version")
        return low.flatMap { low in high.flatMap { low <= $0 ? low...$0 : nil } }
    }

    /// Every node that ever pushed, by id, with ages measured on central's clock.
    public func nodes() throws -> [NodeReport] { try nodes(now: try centralNow()) }

    /// Every node that ever pushed, by id, with ages measured from `now`.
    public func nodes(now: Timestamp) throws -> [NodeReport] { try nodes(now: now, only: nil) }

    /// The node `id` as ``nodes()`` reports it.
    public func node(_ id: String) throws -> NodeReport {
        guard let node = try nodes(now: try centralNow(), only: id).first else {
            throw CentralError.notFound("no node '\(SyncLimits.clip(id, to: SyncLimits.code))' at central")
        }
        return node
    }

    private func nodes(now: Timestamp, only id: String?) throws -> [NodeReport] {
        let zones = try NodeTimeZones(connection: connection)
        // The changes central holds for node n after the pull position it last reported: those for
        // every node, for every door (protocol 4 on) and its own, as ChangeFeed serves them.
        let unpulled = """
            FROM change_log c WHERE c.seq > n.pull_cursor
                AND c.node_id IN ('', IF(n.protocol_version >= 4, '*', ''), n.id)
            """
        return try connection.rows(
            """
            SELECT n.*, (SELECT COUNT(*) \(unpulled)) AS behind,
                (SELECT MIN(c.created_at) \(unpulled)) AS oldest_unpulled_at,
                \(NodeRetirements.retiredSQL) AS retired
            FROM node n WHERE (? IS NULL OR n.id = ?) ORDER BY n.id
            """, [id, id]
        ).map { row in
            let node = try row.decode(NodeRow.self)
            let retirement = node.retiredAt.map {
                NodeRetirement(at: $0, reason: node.retiredReason, by: node.retiredBy ?? "")
            }
            let reinstatement = node.reinstatedAt.flatMap { at in
                node.retired == 0 && at.milliseconds >= (node.retiredAt?.milliseconds ?? .max)
                    ? NodeReinstatement(at: at, by: node.reinstatedBy ?? "") : nil
            }
            return NodeReport(
                id: node.id, protocolVersion: node.protocolVersion, epoch: node.epoch,
                acknowledgedSeq: node.acknowledgedSeq,
                recordsApplied: node.recordsApplied, recordsParked: node.recordsParked,
                outboxPending: node.outboxPending,
                lagSeconds: node.oldestPendingAt.map { max(0, (now.milliseconds - $0.milliseconds) / 1000) } ?? 0,
                pullCursor: node.pullCursor, changesBehind: node.behind,
                pullLagSeconds: node.oldestUnpulledAt.map { max(0, (now.milliseconds - $0.milliseconds) / 1000) } ?? 0,
                lastPushAt: node.lastPushAt,
                lastSeenAt: node.lastSeenAt,
                silentSeconds: node.lastSeenAt.map { max(0, (now.milliseconds - $0.milliseconds) / 1000) },
                clockOffsetSeconds: node.clockOffsetMs.map { $0 / 1000 }, timezone: zones.zone(of: node.id),
                retired: node.retired != 0 ? retirement : nil, returnedFrom: node.retired == 0 ? retirement : nil,
                reinstated: reinstatement)
        }
    }

    /// A node's parked records with their errors, oldest first.
    public func parked(node: String) throws -> [ParkedRecord] {
        let zone = try NodeTimeZones(connection: connection).zone(of: node)
        return try connection.rows(
            """
            SELECT seq, record_type, entity_id, error, received_at FROM sync_inbox WHERE status = '\(InboxStatus.parked)' AND node_id = ? ORDER BY seq
            """, [node]
        ).map { row in
            let parked = try row.decode(ParkedRow.self)
            return ParkedRecord(
                seq: parked.seq, type: parked.recordType, entityID: parked.entityID, error: parked.error ?? "",
                receivedAt: parked.receivedAt, timezone: zone)
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
    /// The zone the node's people read times in (``NodeTimeZones``).
    public let timezone: String
}

/// A row of the `node` table with how many changes it has not pulled.
private struct NodeRow: Decodable {
    let id: String
    let protocolVersion: Int
    let epoch: Int64
    let acknowledgedSeq: Int64
    let recordsApplied: Int64
    let recordsParked: Int64
    let outboxPending: Int64
    let oldestPendingAt: Timestamp?
    let pullCursor: Int64
    let behind: Int64
    let oldestUnpulledAt: Timestamp?
    let lastPushAt: Timestamp?
    let lastSeenAt: Timestamp?
    let clockOffsetMs: Int64?
    let retiredAt: Timestamp?
    let retiredReason: String?
    let retiredBy: String?
    let reinstatedAt: Timestamp?
    let reinstatedBy: String?
    let retired: Int64
}

/// A parked record of `sync_inbox`.
private struct ParkedRow: Decodable {
    let seq: Int64
    let recordType: String
    let entityID: String
    let error: String?
    let receivedAt: Timestamp?
}
