import Central
import MySQLClient
import SyncWire

/// The checks of each node's sync with central (every node, whatever the event scope): contact,
/// the sequence of its records, records left parked, and its clock.
extension Checks {
    /// Nodes not heard from within the limit; a retired node (gone for good) is not waited for.
    func silentNodes() throws -> [Finding] {
        let deadline = Timestamp(milliseconds: now.milliseconds - scope.silenceSeconds * 1000)
        return try connection.rows(
            """
            SELECT \(NodeState.columns) FROM node
            WHERE (last_seen_at IS NULL OR last_seen_at < ?) AND NOT \(NodeRetirements.retiredSQL)
            """, [deadline.sqlText]
        ).map { row in
            let state = try row.decode(NodeState.self)
            let node = state.id
            let silent = state.lastSeenAt.map { "\((now.milliseconds - $0.milliseconds) / 1000)s" } ?? "ever"
            return Finding(
                key: "node_silent/\(node)", kind: .nodeSilent, eventID: nil, nodeID: node, entityID: node,
                occurredAt: state.lastSeenAt,
                detail: "\(node) silent for \(silent); \(state.outboxPending) records pending at its last push",
                refund: nil)
        }
    }

    /// A node whose acknowledged sequence differs from the records central counted as applied
    /// and parked: central says it holds records it never stored (or the reverse).
    func sequenceMismatches() throws -> [Finding] {
        try connection.rows(
            """
            SELECT \(NodeState.columns) FROM node WHERE acknowledged_seq <> records_applied + records_parked
            """
        ).map { row in
            let state = try row.decode(NodeState.self)
            let node = state.id
            return Finding(
                key: "node_sequence_mismatch/\(node)", kind: .nodeSequenceMismatch, eventID: nil, nodeID: node,
                entityID: node,
                occurredAt: state.lastSeenAt,
                detail:
                    "\(node) acknowledged up to record \(state.acknowledgedSeq) but central counts \(state.recordsApplied) "
                    + "applied and \(state.recordsParked) parked",
                refund: nil)
        }
    }

    /// Records missing from a node's sequence below its acknowledged one: facts central said it
    /// holds and does not. Each gap is listed by its first and last missing number.
    func sequenceGaps() throws -> [Finding] {
        let gaps = try connection.rows(
            """
            SELECT node_id, previous + 1 AS first_missing, seq - 1 AS last_missing FROM (
                SELECT node_id, seq, COALESCE(LAG(seq) OVER (PARTITION BY node_id ORDER BY seq), 0) AS previous FROM sync_inbox
            ) numbered WHERE seq > previous + 1
            UNION ALL
            SELECT n.id, COALESCE(MAX(i.seq), 0) + 1, n.acknowledged_seq FROM node n LEFT JOIN sync_inbox i ON i.node_id = n.id
            GROUP BY n.id, n.acknowledged_seq HAVING COALESCE(MAX(i.seq), 0) < n.acknowledged_seq
            ORDER BY 1, 2
            """)
        let byNode = Dictionary(grouping: try gaps.map { try $0.decode(SequenceGap.self) }, by: \.nodeID)
        return byNode.keys.sorted().map { node in
            let ranges = byNode[node]!
            let missing = ranges.reduce(Int64(0)) { $0 + $1.lastMissing - $1.firstMissing + 1 }
            return Finding(
                key: "node_sequence_gap/\(node)", kind: .nodeSequenceGap, eventID: nil, nodeID: node, entityID: node,
                occurredAt: nil,
                detail: "\(missing) record(s) of \(node) missing at central: "
                    + ranges.prefix(5).map {
                        $0.firstMissing == $0.lastMissing
                            ? "\($0.firstMissing)" : "\($0.firstMissing)–\($0.lastMissing)"
                    }.joined(separator: ", ")
                    + (ranges.count > 5 ? " …" : ""), refund: nil)
        }
    }

    /// Records parked longer than the threshold: facts central has not applied.
    func staleParkedRecords() throws -> [Finding] {
        let deadline = Timestamp(milliseconds: now.milliseconds - scope.parkedAgeSeconds * 1000)
        return try connection.rows(
            """
            SELECT node_id, seq, record_type, entity_id, error, received_at FROM sync_inbox
            WHERE status = '\(InboxStatus.parked)' AND received_at < ? ORDER BY node_id, seq
            """, [deadline.sqlText]
        ).map { row in
            let parked = try row.decode(StaleParked.self)
            let (node, seq) = (parked.nodeID, parked.seq)
            return Finding(
                key: "parked_record_stale/\(node)/\(seq)", kind: .parkedRecordStale, eventID: nil, nodeID: node,
                entityID: parked.entityID, occurredAt: parked.receivedAt,
                detail: "\(parked.recordType) \(seq) of \(node) parked since \(parked.receivedAt.sqlText): "
                    + SyncLimits.clip(parked.error ?? "", to: 300),
                refund: nil)
        }
    }

    /// A node whose clock was off central's by more than the threshold at its last push; not a
    /// retired node's, which no longer runs.
    func skewedClocks() throws -> [Finding] {
        try connection.rows(
            """
            SELECT \(NodeState.columns) FROM node WHERE ABS(clock_offset_ms) > ? AND NOT \(NodeRetirements.retiredSQL)
            """, [scope.clockSkewSeconds * 1000]
        ).map { row in
            let state = try row.decode(NodeState.self)
            let (node, offset) = (state.id, state.clockOffsetMs ?? 0)
            return Finding(
                key: "node_clock_skew/\(node)", kind: .nodeClockSkew, eventID: nil, nodeID: node, entityID: node,
                occurredAt: state.lastSeenAt,
                detail:
                    "\(node)'s clock was \(abs(offset) / 1000)s \(offset > 0 ? "ahead of" : "behind") central's at its last push; "
                    + "nothing is decided by it, but its receipts and logs show the wrong time", refund: nil)
        }
    }
}

/// The `node` columns the checks read.
private struct NodeState: Decodable {
    let id: String
    let lastSeenAt: Timestamp?
    let outboxPending: Int64
    let acknowledgedSeq: Int64
    let recordsApplied: Int64
    let recordsParked: Int64
    let clockOffsetMs: Int64?

    static let columns =
        "id, last_seen_at, outbox_pending, acknowledged_seq, records_applied, records_parked, clock_offset_ms"
}

/// Missing numbers of a node's sequence, first to last.
private struct SequenceGap: Decodable {
    let nodeID: String
    let firstMissing: Int64
    let lastMissing: Int64
}

private struct StaleParked: Decodable {
    let nodeID: String
    let seq: Int64
    let recordType: String
    let entityID: String
    let error: String?
    let receivedAt: Timestamp
}
