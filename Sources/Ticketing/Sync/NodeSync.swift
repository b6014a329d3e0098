import EdgeStore
import SyncWire

/// The node's half of the sync protocol: the outbox batches it pushes and the cursor central
/// acknowledges, pulled changes (``apply(_:)``), taking facts back after a restore
/// (``takeBack(_:)``), and the state the daemon records.
public struct NodeSync {
    let node: VenueNode
    var db: Database { node.database }
    var state: SyncState { SyncState(db: db) }

    // MARK: Push side

    /// Up to `limit` outbox records after the acknowledged sequence (and at most
    /// ``SyncLimits/maxBatchBytes`` of payload after the first), with what remains after them.
    /// A payload over ``SyncLimits/maxPayloadBytes`` is withheld: the record goes without it, for
    /// central to park, and stays whole in the outbox.
    public func pendingBatch(limit: Int) throws -> PushBatch {
        try db.read {
            let acknowledged = try state.integer(.acknowledgedSeq) ?? 0
            var records = [OutboxRecord]()
            var bytes = 0
            for row in try db.rows(
                """
                SELECT seq, record_type, entity_id, payload, created_at FROM sync_outbox WHERE seq > ? ORDER BY seq LIMIT ?
                """, [acknowledged, limit])
            {
                let payload: String = try row.get("payload")
                let size = payload.utf8.count
                let withheld = size > SyncLimits.maxPayloadBytes
                if !records.isEmpty, bytes + (withheld ? 0 : size) > SyncLimits.maxBatchBytes { break }
                bytes += withheld ? 0 : size
                records.append(
                    OutboxRecord(
                        seq: try row.get("seq"), type: try row.get("record_type"), entityID: try row.get("entity_id"),
                        payload: withheld ? "" : payload, createdAt: Timestamp(milliseconds: try row.get("created_at")),
                        withheldBytes: withheld ? size : nil))
            }
            // What goes to central is on disk first: another terminal's sale is seen here a
            // moment before that terminal has flushed it (``Database/flushCommits()``).
            try db.flushCommits()
            let last = records.last?.seq ?? acknowledged
            let after = try db.row(
                "SELECT count(*) AS pending, min(created_at) AS oldest FROM sync_outbox WHERE seq > ?", [last])
            return PushBatch(
                nodeID: try node.settings().nodeID, epoch: try state.epoch(), records: records,
                lastSeq: try db.scalar("SELECT coalesce(max(seq), 0) FROM sync_outbox") ?? 0,
                outboxPendingAfter: try after?.get("pending") ?? 0,
                oldestPendingAt: try after?.get("oldest", as: Int64?.self).map(Timestamp.init(milliseconds:)),
                pullCursor: try state.integer(.pullCursor) ?? 0, sentAt: node.clock.now())
        }
    }

    /// Changes whenever another connection commits to the node database (SQLite's
    /// `data_version`): a daemon polls it to learn of a sale between its cycles, reading nothing.
    public func commitToken() throws -> Int64 { try db.scalar("PRAGMA data_version") ?? 0 }

    /// True when the outbox holds records central has not acknowledged.
    public func hasPending() throws -> Bool {
        try db.read {
            let acknowledged = try state.integer(.acknowledgedSeq) ?? 0
            return try db.row("SELECT 1 FROM sync_outbox WHERE seq > ? LIMIT 1", [acknowledged]) != nil
        }
    }

    /// Records central's answer to an accepted push: the acknowledged sequence becomes exactly
    /// what central holds, and the offset between this node's clock and central's is kept.
    public func acknowledge(_ result: PushResult) throws {
        try db.write {
            let newest: Int64 = try db.scalar("SELECT coalesce(max(seq), 0) FROM sync_outbox") ?? 0
            try state.set(.acknowledgedSeq, min(result.acknowledgedSeq, newest))
            let now = node.clock.now()
            try state.set(.lastPushAt, now.milliseconds)
            try state.set(.clockOffset, now.milliseconds - result.centralTime.milliseconds)
        }
    }

    /// Central holds this node's records only up to `acknowledged` (it was restored from a
    /// backup): the cursor goes back there so that the next push re-sends the rest. Throws when
    /// this node no longer holds the record that must come next.
    public func rewind(to acknowledged: Int64) throws {
        try db.write {
            let next: Int64? = try db.scalar("SELECT min(seq) FROM sync_outbox WHERE seq > ?", [acknowledged])
            if let next, next != acknowledged + 1 {
                throw TicketingError.rejected(
                    code: "outbox_hole",
                    message: "central holds this node's records up to \(acknowledged) but "
                        + "the outbox lacks records \(acknowledged + 1) to \(next - 1); they cannot be re-sent")
            }
            try state.set(.acknowledgedSeq, acknowledged)
            try node.audit.record("sync.rewound", by: "central", entity: "outbox", id: String(acknowledged))
        }
    }

    /// Stores how many of this node's records central has parked.
    public func recordCentralParked(_ count: Int) throws {
        try db.write { try state.set(.centralParked, Int64(count)) }
    }

    // MARK: State

    /// Records the mode central is in as the daemon last saw it, with its cause and the last error.
    public func recordMode(_ mode: CentralMode, cause: String?, error: String?) throws {
        try db.write {
            try state.set(.lastCycleAt, node.clock.now().milliseconds)
            if try state.text(.mode) != mode.rawValue {
                try state.set(.mode, mode.rawValue)
                try state.set(.modeSince, node.clock.now().milliseconds)
            }
            if let cause { try state.set(.cause, cause) } else { try state.remove(.cause) }
            if let error {
                try state.set(.lastError, SyncLimits.clip(error, to: 500))
            } else {
                try state.remove(.lastError)
            }
        }
    }

    /// The sync state, read in one snapshot.
    public func status() throws -> SyncStatus {
        try db.read {
            let acknowledged = try state.integer(.acknowledgedSeq) ?? 0
            let pending = try db.row(
                "SELECT count(*) AS pending, min(created_at) AS oldest FROM sync_outbox WHERE seq > ?", [acknowledged])
            let oldest = try pending?.get("oldest", as: Int64?.self)
            let now = node.clock.now().milliseconds
            return SyncStatus(
                mode: try state.mode(), cause: try state.text(.cause),
                modeSince: try state.time(.modeSince), lastPushAt: try state.time(.lastPushAt),
                lastPullAt: try state.time(.lastPullAt), lastCycleAt: try state.time(.lastCycleAt),
                acknowledgedSeq: acknowledged, pullCursor: try state.integer(.pullCursor) ?? 0,
                outboxPending: try pending?.get("pending") ?? 0,
                oldestPendingAt: oldest.map(Timestamp.init(milliseconds:)),
                lagSeconds: oldest.map { max(0, (now - $0) / 1000) } ?? 0,
                centralParked: Int(try state.integer(.centralParked) ?? 0),
                pullParked: try db.scalar("SELECT count(*) FROM sync_pull_parked") ?? 0,
                lastError: try state.text(.lastError),
                epoch: try state.epoch(), recoveryPendingSince: try state.time(.recoverySince),
                clockOffsetSeconds: try state.integer(.clockOffset).map { $0 / 1000 },
                centralIdentity: try state.text(.centralIdentity))
        }
    }
}

extension VenueNode {
    /// The node's side of sync with central.
    public var sync: NodeSync { NodeSync(node: self) }
}
