import MySQLClient
import SyncWire

/// Applies a node's push batch to central in one transaction.
///
/// The node's row is locked (`FOR UPDATE`) and holds its epoch and its acknowledged sequence. A
/// batch must continue exactly there: a batch from an older epoch is refused (`stale_epoch`: that
/// database was replaced by a restore), one that starts after `acknowledged + 1` is refused
/// (`gap`: central lacks records, it was restored from a backup), and records at or below the
/// acknowledged sequence are replays — skipped only when they are the records central holds
/// under those numbers, else the histories diverged and the node is told where (`diverged`).
///
/// Each new record is applied and recorded in `sync_inbox` with its payload. A record central
/// can never apply (a data error: malformed, unknown type, too long for its column, a poison
/// envelope) is parked there with its error and the rest flows; an operational failure (read-only
/// even at COMMIT, a lost connection, privileges, a full table, a timeout) rolls the whole batch
/// back for the node to retry. Arrival times come from central's clock.
public struct PushReceiver {
    let connection: MySQLConnection

    public init(connection: MySQLConnection) { self.connection = connection }

    /// Applies `batch`; an empty batch is a heartbeat (and a probe of whether central is writable).
    public func apply(_ batch: PushBatch) throws -> PushResult {
        do {
            return try connection.transaction { try applyInTransaction(batch, isolateRecords: false) }
        } catch  where RecordFailure.isData(error) {
            // Some record cannot be applied: redo the batch with each record in a savepoint so
            // that only the bad ones are parked.
            return try connection.transaction { try applyInTransaction(batch, isolateRecords: true) }
        }
    }

    private func applyInTransaction(_ batch: PushBatch, isolateRecords: Bool) throws -> PushResult {
        try connection.execute(
            """
            INSERT INTO node (id, epoch, created_at) VALUES (?, ?, NOW(3)) ON DUPLICATE KEY UPDATE id = id
            """, [batch.nodeID, batch.epoch])
        guard
            let state = try connection.row(
                """
                SELECT acknowledged_seq, epoch, NOW(3) AS now FROM node WHERE id = ? FOR UPDATE
                """, [batch.nodeID])?.decode(NodeState.self)
        else { throw MySQLError(code: 0, message: "node \(batch.nodeID) vanished during its push") }
        var acknowledged = state.acknowledgedSeq
        let centralEpoch = state.epoch
        let now = try CentralClock.timestamp(state.now)
        func refuse(_ outcome: PushResult.Outcome, divergedAt: Int64? = nil) throws -> PushResult {
            try noteContact(batch, now: now)
            return PushResult(
                outcome: outcome, acknowledgedSeq: acknowledged, centralEpoch: centralEpoch, applied: 0, parked: 0,
                skipped: 0,
                centralTime: now, divergedAt: divergedAt)
        }
        if batch.epoch < centralEpoch { return try refuse(.staleEpoch) }
        if let first = batch.records.first, first.seq > acknowledged + 1 { return try refuse(.gap) }
        // A heartbeat from a node holding records central lacks (central restored, nothing new sold).
        if batch.records.isEmpty, batch.lastSeq > acknowledged { return try refuse(.gap) }
        let replayed = batch.records.filter { $0.seq <= acknowledged }
        let held = try heldIdentities(node: batch.nodeID, seqs: replayed.map(\.seq))
        if let different = replayed.first(where: { record in held[record.seq].map { $0 != Identity(record) } ?? false })
        {
            return try refuse(.diverged, divergedAt: different.seq)
        }
        if batch.epoch == centralEpoch, batch.lastSeq < acknowledged {
            return try refuse(.diverged, divergedAt: batch.lastSeq + 1)
        }

        let applier = RecordApplier(connection: connection, nodeID: batch.nodeID, now: now)
        var inbox = [[any SQLValueConvertible]]()
        var applied = 0
        var parked = 0
        var skipped = 0
        // Consecutive sales go to central together (``OrderBatch``): a few multi-row statements
        // instead of a round trip per row. Any other record first applies the sales before it.
        var sales = [OrderPlacedRecord]()
        func applySales() throws {
            try OrderBatch(connection: connection, nodeID: batch.nodeID, now: now).apply(sales)
            sales.removeAll()
        }
        for record in batch.records {
            // A replay central holds changes nothing; a hole below the cursor is filled; a record
            // after a hole in the batch ends what this push applies (the node must fill the hole).
            if record.seq <= acknowledged, held[record.seq] != nil {
                skipped += 1
                continue
            }
            guard record.seq <= acknowledged + 1 else { break }
            let row = InboxRow(record, node: batch.nodeID, epoch: batch.epoch, receivedAt: now)
            var failure = row.envelopeProblem
            if failure == nil {
                if isolateRecords {
                    do {
                        try connection.savepoint {
                            try applier.apply(record)
                            try insertInbox([row.values(status: .applied, error: nil)])
                        }
                    } catch  where RecordFailure.isData(error) {
                        failure = RecordFailure.describe(error)
                    }
                } else if record.type == SyncRecordType.orderPlaced.rawValue {
                    sales.append(try JSONText.decode(OrderPlacedRecord.self, from: record.payload))
                    inbox.append(row.values(status: .applied, error: nil))
                } else {
                    try applySales()
                    try applier.apply(record)
                    inbox.append(row.values(status: .applied, error: nil))
                }
            }
            if let failure {
                parked += 1
                try insertInbox([row.values(status: .parked, error: failure)])
            } else {
                applied += 1
            }
            acknowledged = max(acknowledged, record.seq)
        }
        try applySales()
        for start in stride(from: 0, to: inbox.count, by: 500) {
            try insertInbox(Array(inbox[start..<min(start + 500, inbox.count)]))
        }
        try connection.execute(
            """
            UPDATE node SET acknowledged_seq = ?, epoch = GREATEST(epoch, ?), records_applied = records_applied + ?,
                records_parked = records_parked + ?, outbox_pending = ?, oldest_pending_at = ?, pull_cursor = ?, protocol_version = ?,
                last_push_at = CASE WHEN ? > 0 THEN ? ELSE last_push_at END
            WHERE id = ?
            """,
            [
                acknowledged, batch.epoch, applied, parked, batch.outboxPendingAfter,
                batch.outboxPendingAfter > 0 ? batch.oldestPendingAt.flatMap(CentralClock.storable) : nil,
                batch.pullCursor,
                batch.protocolVersion, batch.records.count, now.sqlText, batch.nodeID,
            ])
        try noteContact(batch, now: now)
        return PushResult(
            acknowledgedSeq: acknowledged, centralEpoch: max(centralEpoch, batch.epoch), applied: applied,
            parked: parked,
            skipped: skipped, centralTime: now)
    }

    /// Central heard from the node: when (central's clock), and how far the node's clock is off.
    private func noteContact(_ batch: PushBatch, now: Timestamp) throws {
        try connection.execute(
            "UPDATE node SET last_seen_at = ?, last_sent_at = ?, clock_offset_ms = ? WHERE id = ?",
            [
                now.sqlText, CentralClock.storable(batch.sentAt), batch.sentAt.milliseconds - now.milliseconds,
                batch.nodeID,
            ])
    }

    private func insertInbox(_ rows: [[any SQLValueConvertible]]) throws {
        guard !rows.isEmpty else { return }
        try connection.execute(
            """
            INSERT INTO sync_inbox (node_id, epoch, seq, record_type, entity_id, status, error, payload, created_at, received_at)
            VALUES \(Array(repeating: "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", count: rows.count).joined(separator: ", "))
            """, rows.flatMap { $0 })
    }

    /// What a record is, for telling a true replay from a different record under the same number.
    struct Identity: Equatable {
        let type: String
        let entityID: String

        init(type: String, entityID: String) {
            self.type = type
            self.entityID = entityID
        }

        init(_ record: OutboxRecord) {
            self.init(
                type: SyncLimits.clip(record.type, to: SyncLimits.recordType),
                entityID: SyncLimits.clip(record.entityID, to: SyncLimits.entityID))
        }
    }

    /// The identities of the records central holds among `seqs`.
    private func heldIdentities(node: String, seqs: [Int64]) throws -> [Int64: Identity] {
        guard let low = seqs.min(), let high = seqs.max() else { return [:] }
        var held = [Int64: Identity]()
        for row in try connection.rows(
            """
            SELECT \(InboxEntry.columns) FROM sync_inbox WHERE node_id = ? AND seq BETWEEN ? AND ?
            """, [node, low, high]
        ).map({ try $0.decode(InboxEntry.self) }) {
            held[row.seq] = Identity(type: row.recordType, entityID: row.entityID)
        }
        return held
    }

    // MARK: Parked records

    /// One parked record after a retry.
    public struct Retried: Sendable, Codable, Equatable {
        public let seq: Int64
        public let type: String
        public let entityID: String
        /// True when it applied this time.
        public let applied: Bool
        /// Why it is still parked.
        public let error: String?
    }

    /// Applies a node's parked records again, oldest first, each in its own savepoint: after a fix
    /// (a newer central that knows a record type, a widened column) they join the rest. Records
    /// that still cannot apply stay parked with their new error. One transaction.
    public func retryParked(node: String) throws -> [Retried] {
        try connection.transaction {
            guard
                let now = try connection.scalar(
                    "SELECT NOW(3) FROM node WHERE id = ? FOR UPDATE", [node], as: String.self)
            else {
                throw CentralError.notFound("no node '\(SyncLimits.clip(node, to: 40))' has pushed to central")
            }
            let applier = RecordApplier(connection: connection, nodeID: node, now: try CentralClock.timestamp(now))
            var results = [Retried]()
            for row in try connection.rows(
                """
                SELECT \(InboxEntry.columns) FROM sync_inbox WHERE node_id = ? AND status = '\(InboxStatus.parked)' ORDER BY seq
                """, [node]
            ).map({ try $0.decode(InboxEntry.self) }) {
                let seq = row.seq
                let type = row.recordType
                let entity = row.entityID
                var failure: String?
                if let payload = row.payload, let createdAt = row.createdAt {
                    do {
                        try connection.savepoint {
                            try applier.apply(
                                OutboxRecord(
                                    seq: seq, type: type, entityID: entity, payload: payload, createdAt: createdAt))
                            try connection.execute(
                                "UPDATE sync_inbox SET status = '\(InboxStatus.applied)', error = NULL WHERE node_id = ? AND seq = ?",
                                [node, seq])
                        }
                    } catch  where RecordFailure.isData(error) {
                        failure = RecordFailure.describe(error)
                        try connection.execute(
                            "UPDATE sync_inbox SET error = ? WHERE node_id = ? AND seq = ?", [failure, node, seq])
                    }
                } else {
                    failure = row.error ?? "central kept no payload or time for this record"
                }
                results.append(Retried(seq: seq, type: type, entityID: entity, applied: failure == nil, error: failure))
            }
            let fixed = results.filter(\.applied).count
            try connection.execute(
                """
                UPDATE node SET records_applied = records_applied + ?, records_parked = records_parked - ? WHERE id = ?
                """, [fixed, fixed, node])
            return results
        }
    }
}

/// One `sync_inbox` row: the record's envelope cut to what the columns hold, and why it cannot
/// be applied at all when its envelope is bad (the record is then parked without being tried).
struct InboxRow {
    let record: OutboxRecord
    let node: String
    let epoch: Int64
    let receivedAt: Timestamp

    init(_ record: OutboxRecord, node: String, epoch: Int64, receivedAt: Timestamp) {
        self.record = record
        self.node = node
        self.epoch = epoch
        self.receivedAt = receivedAt
    }

    var envelopeProblem: String? {
        if let withheld = record.withheldBytes {
            return
                "payload of \(withheld) bytes is over the protocol's \(SyncLimits.maxPayloadBytes) bytes; it stays in the node's outbox"
        }
        if record.payload.utf8.count > SyncLimits.maxPayloadBytes {
            return
                "payload of \(record.payload.utf8.count) bytes is over the protocol's \(SyncLimits.maxPayloadBytes) bytes"
        }
        if SyncLimits.length(record.type) > SyncLimits.recordType {
            return "record type is \(SyncLimits.length(record.type)) characters long; at most \(SyncLimits.recordType)"
        }
        if SyncLimits.length(record.entityID) > SyncLimits.entityID {
            return "entity id is \(SyncLimits.length(record.entityID)) characters long; at most \(SyncLimits.entityID)"
        }
        if CentralClock.storable(record.createdAt) == nil {
            return "created_at \(record.createdAt.milliseconds) ms is outside the years 1970 to 9999"
        }
        return nil
    }

    func values(status: InboxStatus, error: String?) -> [any SQLValueConvertible] {
        let keepsPayload = record.withheldBytes == nil && record.payload.utf8.count <= SyncLimits.maxPayloadBytes
        return [
            node, epoch, record.seq, SyncLimits.clip(record.type, to: SyncLimits.recordType),
            SyncLimits.clip(record.entityID, to: SyncLimits.entityID), status,
            error.map { SyncLimits.clip($0, to: 2000) },
            keepsPayload ? record.payload : nil, CentralClock.storable(record.createdAt), receivedAt.sqlText,
        ]
    }
}

/// Whether a record's failure is about the record (park it: it can never apply) or about the
/// moment (roll back and retry: nothing is skipped).
enum RecordFailure {
    /// Decoding errors, records central refuses by rule, and MySQL's data errors.
    static func isData(_ error: Error) -> Bool {
        switch error {
        case let error as MySQLError: error.isDataError
        case is DecodingError, is UnappliableRecord: true
        default: false
        }
    }

    /// The error as it is kept with the parked record.
    static func describe(_ error: Error) -> String {
        switch error {
        case let error as UnappliableRecord: error.reason
        case let error as DecodingError: "malformed payload: \(error)"
        default: String(describing: error)
        }
    }
}

/// A record central can never apply as it is (an unknown type from a newer node, a rule it breaks).
struct UnappliableRecord: Error, CustomStringConvertible {
    let reason: String
    var description: String { reason }
}

/// A node's position, locked for its push, and central's clock.
private struct NodeState: Decodable {
    let acknowledgedSeq: Int64
    let epoch: Int64
    let now: String
}
