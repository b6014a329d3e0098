import Central
import MySQLClient
import SyncWire

/// The checks of each node's sync with central (every node, whatever the event scope): contact,
/// the sequence of its records, records left parked, and its clock.
extension Checks {
    func silentNodes() throws -> [Finding] {
        let deadline = Timestamp(milliseconds: now.milliseconds - scope.silenceSeconds * 1000)
        return try connection.rows("""
            SELECT id, last_seen_at, outbox_pending FROM node WHERE last_seen_at IS NULL OR last_seen_at < ?
            """, [deadline.sqlText]).map { row in
            let node: String = try row.get("id")
            let lastSeen = try row.get("last_seen_at", as: String?.self).flatMap(Timestamp.init(sqlText:))
            let silent = lastSeen.map { "\((now.milliseconds - $0.milliseconds) / 1000)s" } ?? "ever"
            return Finding(key: "node_silent/\(node)", kind: .nodeSilent, eventID: nil, nodeID: node, entityID: node, occurredAt: lastSeen,
                           detail: "\(node) silent for \(silent); \(try row.get("outbox_pending", as: Int64.self)) records pending at its last push",
                           refund: nil)
        }
    }

    /// A node whose acknowledged sequence differs from the records central counted as applied
    /// and parked: central says it holds records it never stored (or the reverse).
    func sequenceMismatches() throws -> [Finding] {
        try connection.rows("""
            SELECT id, acknowledged_seq, records_applied, records_parked, last_seen_at FROM node
            WHERE acknowledged_seq <> records_applied + records_parked
            """).map { row in
            let node: String = try row.get("id"), acknowledged: Int64 = try row.get("acknowledged_seq")
            let applied: Int64 = try row.get("records_applied"), parked: Int64 = try row.get("records_parked")
            return Finding(key: "node_sequence_mismatch/\(node)", kind: .nodeSequenceMismatch, eventID: nil, nodeID: node, entityID: node,
                           occurredAt: try row.get("last_seen_at", as: String?.self).flatMap(Timestamp.init(sqlText:)),
                           detail: "\(node) acknowledged up to record \(acknowledged) but central counts \(applied) applied and \(parked) parked",
                           refund: nil)
        }
    }

    /// Records missing from a node's sequence below its acknowledged one: facts central said it
    /// holds and does not. Each gap is listed by its first and last missing number.
    func sequenceGaps() throws -> [Finding] {
        let gaps = try connection.rows("""
            SELECT node_id, previous + 1 AS first_missing, seq - 1 AS last_missing FROM (
                SELECT node_id, seq, COALESCE(LAG(seq) OVER (PARTITION BY node_id ORDER BY seq), 0) AS previous FROM sync_inbox
            ) numbered WHERE seq > previous + 1
            UNION ALL
            SELECT n.id, COALESCE(MAX(i.seq), 0) + 1, n.acknowledged_seq FROM node n LEFT JOIN sync_inbox i ON i.node_id = n.id
            GROUP BY n.id, n.acknowledged_seq HAVING COALESCE(MAX(i.seq), 0) < n.acknowledged_seq
            ORDER BY 1, 2
            """)
        let byNode = Dictionary(grouping: try gaps.map { row in
            (node: try row.get("node_id", as: String.self), first: try row.get("first_missing", as: Int64.self),
             last: try row.get("last_missing", as: Int64.self))
        }, by: \.node)
        return byNode.keys.sorted().map { node in
            let ranges = byNode[node]!
            let missing = ranges.reduce(Int64(0)) { $0 + $1.last - $1.first + 1 }
            return Finding(key: "node_sequence_gap/\(node)", kind: .nodeSequenceGap, eventID: nil, nodeID: node, entityID: node, occurredAt: nil,
                           detail: "\(missing) record(s) of \(node) missing at central: "
                               + ranges.prefix(5).map { $0.first == $0.last ? "\($0.first)" : "\($0.first)–\($0.last)" }.joined(separator: ", ")
                               + (ranges.count > 5 ? " …" : ""), refund: nil)
        }
    }

    /// Records parked longer than the threshold: facts central has not applied.
    func staleParkedRecords() throws -> [Finding] {
        let deadline = Timestamp(milliseconds: now.milliseconds - scope.parkedAgeSeconds * 1000)
        return try connection.rows("""
            SELECT node_id, seq, record_type, entity_id, error, received_at FROM sync_inbox
            WHERE status = 'parked' AND received_at < ? ORDER BY node_id, seq
            """, [deadline.sqlText]).map { row in
            let node: String = try row.get("node_id"), seq: Int64 = try row.get("seq")
            return Finding(key: "parked_record_stale/\(node)/\(seq)", kind: .parkedRecordStale, eventID: nil, nodeID: node,
                           entityID: try row.get("entity_id"), occurredAt: Timestamp(sqlText: try row.get("received_at")),
                           detail: "\(try row.get("record_type", as: String.self)) \(seq) of \(node) parked since "
                               + "\(try row.get("received_at", as: String.self)): \(SyncLimits.clip(try row.get("error") ?? "", to: 300))",
                           refund: nil)
        }
    }

    /// A node whose clock was off central's by more than the threshold at its last push.
    func skewedClocks() throws -> [Finding] {
        try connection.rows("""
            SELECT id, clock_offset_ms, last_seen_at FROM node WHERE ABS(clock_offset_ms) > ?
            """, [scope.clockSkewSeconds * 1000]).map { row in
            let node: String = try row.get("id"), offset: Int64 = try row.get("clock_offset_ms")
            return Finding(key: "node_clock_skew/\(node)", kind: .nodeClockSkew, eventID: nil, nodeID: node, entityID: node,
                           occurredAt: try row.get("last_seen_at", as: String?.self).flatMap(Timestamp.init(sqlText:)),
                           detail: "\(node)'s clock was \(abs(offset) / 1000)s \(offset > 0 ? "ahead of" : "behind") central's at its last push; "
                               + "nothing is decided by it, but its receipts and logs show the wrong time", refund: nil)
        }
    }
}
