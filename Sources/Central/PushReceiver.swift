import MySQLClient
import SyncWire

/// Applies a node's push batch to central in one transaction.
///
/// The node's row is locked (`FOR UPDATE`) and holds its acknowledged sequence: records at or
/// below it were applied before and are skipped, so replaying a batch after a crash changes
/// nothing. Each new record is applied and recorded in `sync_inbox` under `(node_id, seq)`. A
/// record central can never apply (malformed, unknown type) is parked there with its error and
/// the rest flows; a technical failure (deadlock, lost connection, read-only — even at COMMIT)
/// rolls the whole batch back for the node to retry. The node advances its own cursor only after
/// this returns, that is after central committed.
public struct PushReceiver {
    let connection: MySQLConnection

    public init(connection: MySQLConnection) { self.connection = connection }

    /// Applies `batch`; an empty batch is a heartbeat (and a probe of whether central is writable).
    public func apply(_ batch: PushBatch, now: Timestamp) throws -> PushResult {
        do {
            return try connection.transaction { try applyInTransaction(batch, isolateRecords: false, now: now) }
        } catch let error as MySQLError where error.isTransient {
            throw error
        } catch {
            // Some record cannot be applied: redo the batch with each record in a savepoint so
            // that only the bad ones are parked.
            return try connection.transaction { try applyInTransaction(batch, isolateRecords: true, now: now) }
        }
    }

    private func applyInTransaction(_ batch: PushBatch, isolateRecords: Bool, now: Timestamp) throws -> PushResult {
        try connection.execute("INSERT INTO node (id, created_at) VALUES (?, ?) ON DUPLICATE KEY UPDATE id = id", [batch.nodeID, now.sqlText])
        var acknowledged: Int64 = try connection.scalar("SELECT acknowledged_seq FROM node WHERE id = ? FOR UPDATE", [batch.nodeID]) ?? 0
        let applier = RecordApplier(connection: connection, nodeID: batch.nodeID, now: now)
        var inbox = [[any SQLValueConvertible]]()
        var applied = 0, parked = 0, skipped = 0
        for record in batch.records {
            guard record.seq > acknowledged else {
                skipped += 1
                continue
            }
            var failure: String?
            if isolateRecords {
                do {
                    try connection.savepoint { try applier.apply(record) }
                } catch let error as MySQLError where error.isTransient {
                    throw error
                } catch {
                    failure = String(describing: error)
                }
            } else {
                try applier.apply(record)
            }
            if let failure {
                parked += 1
                inbox.append([batch.nodeID, record.seq, record.type, record.entityID, "parked", String(failure.prefix(2000)),
                              record.payload, record.createdAt.sqlText, now.sqlText])
            } else {
                applied += 1
                inbox.append([batch.nodeID, record.seq, record.type, record.entityID, "applied", String?.none, String?.none,
                              record.createdAt.sqlText, now.sqlText])
            }
            acknowledged = record.seq
        }
        for chunk in stride(from: 0, to: inbox.count, by: 500).map({ Array(inbox[$0..<min($0 + 500, inbox.count)]) }) {
            try connection.execute("""
                INSERT INTO sync_inbox (node_id, seq, record_type, entity_id, status, error, payload, created_at, received_at)
                VALUES \(Array(repeating: "(?, ?, ?, ?, ?, ?, ?, ?, ?)", count: chunk.count).joined(separator: ", "))
                """, chunk.flatMap { $0 })
        }
        try connection.execute("""
            UPDATE node SET acknowledged_seq = ?, records_applied = records_applied + ?, records_parked = records_parked + ?,
                outbox_pending = ?, oldest_pending_at = ?, pull_cursor = ?, protocol_version = ?, last_seen_at = ?,
                last_push_at = CASE WHEN ? > 0 THEN ? ELSE last_push_at END
            WHERE id = ?
            """, [acknowledged, applied, parked, batch.outboxPendingAfter,
                  batch.outboxPendingAfter > 0 ? batch.oldestPendingAt?.sqlText : nil, batch.pullCursor, batch.protocolVersion,
                  now.sqlText, batch.records.count, now.sqlText, batch.nodeID])
        return PushResult(acknowledgedSeq: acknowledged, applied: applied, parked: parked, skipped: skipped)
    }
}
