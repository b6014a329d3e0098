import EdgeStore
import SyncWire

/// How central looks from this node.
public enum CentralMode: String, Sendable, Codable, CaseIterable {
    /// Push and pull both work.
    case writable
    /// Central refuses writes (MySQL 1290/1836, a rollback in progress): pull only, outbox kept.
    case readOnly = "read_only"
    /// Central cannot be reached: nothing moves; the node sells within its allocation.
    case unreachable
    /// The daemon has not run yet.
    case unknown
}

/// The node's side of sync as `boxoffice status` and `/health` show it.
public struct SyncStatus: Sendable, Codable, Equatable {
    public let mode: CentralMode
    public let modeSince: Timestamp?
    public let lastPushAt: Timestamp?
    public let lastPullAt: Timestamp?
    /// Outbox records central has stored.
    public let acknowledgedSeq: Int64
    /// The last change pulled and applied.
    public let pullCursor: Int64
    public let outboxPending: Int
    public let oldestPendingAt: Timestamp?
    /// Seconds since the oldest record central has not acknowledged was written (0 when none).
    public let lagSeconds: Int64
    /// This node's records central parked (could never apply), as central last reported.
    public let centralParked: Int
    /// Changes from central this node parked.
    public let pullParked: Int
    public let lastError: String?
}

/// What applying one pulled change did.
public enum ChangeOutcome: String, Sendable, Equatable {
    case applied, ignored, parked
}

/// The node's half of the sync protocol: reading the outbox after the acknowledged cursor,
/// advancing that cursor once central has committed, applying pulled changes (each in one
/// transaction with the pull cursor, so a crash neither skips nor repeats one), and the state the
/// daemon records.
public struct NodeSync {
    let node: VenueNode
    var db: Database { node.database }

    // MARK: Push side

    /// Up to `limit` outbox records after the acknowledged sequence, with what remains after them.
    public func pendingBatch(limit: Int) throws -> PushBatch {
        try db.read {
            let acknowledged = try int("push_acknowledged_seq")
            let records = try db.rows("SELECT * FROM sync_outbox WHERE seq > ? ORDER BY seq LIMIT ?", [acknowledged, limit]).map { row in
                OutboxRecord(seq: try row.get("seq"), type: try row.get("record_type"), entityID: try row.get("entity_id"),
                             payload: try row.get("payload"), createdAt: Timestamp(milliseconds: try row.get("created_at")))
            }
            let last = records.last?.seq ?? acknowledged
            let after: Int = try db.scalar("SELECT count(*) FROM sync_outbox WHERE seq > ?", [last]) ?? 0
            let oldest: Int64? = try db.scalar("SELECT min(created_at) FROM sync_outbox WHERE seq > ?", [last])
            return PushBatch(nodeID: try node.settings().nodeID, records: records, outboxPendingAfter: after,
                             oldestPendingAt: oldest.map(Timestamp.init(milliseconds:)), pullCursor: try int("pull_cursor"))
        }
    }

    /// Records central's acknowledgement. The cursor only moves forward, and never past the outbox.
    public func acknowledge(_ result: PushResult) throws {
        try db.write {
            let newest: Int64 = try db.scalar("SELECT coalesce(max(seq), 0) FROM sync_outbox") ?? 0
            let acknowledged = min(max(try int("push_acknowledged_seq"), result.acknowledgedSeq), newest)
            try set("push_acknowledged_seq", String(acknowledged))
            try set("last_push_at", String(node.clock.now().milliseconds))
        }
    }

    /// Stores how many of this node's records central has parked.
    public func recordCentralParked(_ count: Int) throws {
        try db.write { try set("central_parked", String(count)) }
    }

    // MARK: Pull side

    /// The last change applied.
    public func pullCursor() throws -> Int64 { try int("pull_cursor") }

    /// Applies one pulled change and advances the pull cursor in the same transaction. A change
    /// this node can never apply is parked (kept with its error) so the ones after it still flow.
    /// A change at or before the cursor is ignored.
    @discardableResult
    public func apply(_ change: Change) throws -> ChangeOutcome {
        do {
            return try db.write {
                guard change.seq > (try int("pull_cursor")) else { return .ignored }
                let outcome = try ChangeApplier(node: node).apply(change)
                try set("pull_cursor", String(change.seq))
                try set("last_pull_at", String(node.clock.now().milliseconds))
                return outcome
            }
        } catch let error as StoreError where error.isBusy {
            throw error
        } catch {
            return try db.write {
                guard change.seq > (try int("pull_cursor")) else { return .ignored }
                try db.execute("""
                    INSERT INTO sync_pull_parked (seq, change_type, entity_id, payload, error, parked_at) VALUES (?, ?, ?, ?, ?, ?)
                    ON CONFLICT (seq) DO NOTHING
                    """, [change.seq, change.type, change.entityID, change.payload, String(describing: error).prefix(1000).description,
                          node.clock.now().milliseconds])
                try set("pull_cursor", String(change.seq))
                try node.audit.record("sync.change_parked", by: "central", entity: "change", id: String(change.seq),
                                      detail: ["type": change.type, "error": String(describing: error).prefix(200).description])
                return .parked
            }
        }
    }

    /// Notes that a pull found nothing new (keeps "last pull" fresh for health checks).
    public func recordPulled() throws {
        try db.write { try set("last_pull_at", String(node.clock.now().milliseconds)) }
    }

    // MARK: State

    /// Records the mode central is in as the daemon last saw it, and the last error.
    public func recordMode(_ mode: CentralMode, error: String?) throws {
        try db.write {
            if try text("central_mode") != mode.rawValue {
                try set("central_mode", mode.rawValue)
                try set("central_mode_since", String(node.clock.now().milliseconds))
            }
            if let error { try set("last_error", String(error.prefix(500))) } else { try db.execute("DELETE FROM sync_state WHERE key = 'last_error'") }
        }
    }

    /// The sync state, read in one snapshot.
    public func status() throws -> SyncStatus {
        try db.read {
            let acknowledged = try int("push_acknowledged_seq")
            let pending: Int = try db.scalar("SELECT count(*) FROM sync_outbox WHERE seq > ?", [acknowledged]) ?? 0
            let oldest: Int64? = try db.scalar("SELECT min(created_at) FROM sync_outbox WHERE seq > ?", [acknowledged])
            let now = node.clock.now().milliseconds
            return SyncStatus(
                mode: CentralMode(rawValue: try text("central_mode") ?? "") ?? .unknown,
                modeSince: try optionalTime("central_mode_since"), lastPushAt: try optionalTime("last_push_at"),
                lastPullAt: try optionalTime("last_pull_at"), acknowledgedSeq: acknowledged, pullCursor: try int("pull_cursor"),
                outboxPending: pending, oldestPendingAt: oldest.map(Timestamp.init(milliseconds:)),
                lagSeconds: oldest.map { max(0, (now - $0) / 1000) } ?? 0, centralParked: Int(try int("central_parked")),
                pullParked: try db.scalar("SELECT count(*) FROM sync_pull_parked") ?? 0, lastError: try text("last_error"))
        }
    }

    private func text(_ key: String) throws -> String? {
        try db.scalar("SELECT value FROM sync_state WHERE key = ?", [key])
    }

    private func int(_ key: String) throws -> Int64 { Int64(try text(key) ?? "0") ?? 0 }

    private func optionalTime(_ key: String) throws -> Timestamp? {
        try text(key).flatMap(Int64.init).map(Timestamp.init(milliseconds:))
    }

    private func set(_ key: String, _ value: String) throws {
        try db.execute("INSERT INTO sync_state (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                       [key, value])
    }
}

extension VenueNode {
    /// The node's side of sync with central.
    public var sync: NodeSync { NodeSync(node: self) }
}
