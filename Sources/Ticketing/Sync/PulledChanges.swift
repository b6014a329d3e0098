import EdgeCrypto
import EdgeStore
import SyncWire

/// A change from central this node could never apply, kept with its error.
public struct ParkedChange: Sendable, Codable, Equatable {
    public let seq: Int64
    public let type: String
    public let entityID: String
    public let error: String
    public let parkedAt: Timestamp
}

/// A parked change after `boxoffice sync parked --retry`.
public struct RetriedChange: Sendable, Codable, Equatable {
    public let seq: Int64
    public let type: String
    /// `applied` or `ignored` when it left the parked list; nil when it is still parked.
    public let outcome: ChangeOutcome?
    /// Why it is still parked.
    public let error: String?
}

extension NodeSync {
    /// The last change applied.
    public func pullCursor() throws -> Int64 { try state.integer(.pullCursor) ?? 0 }

    /// Applies one pulled change and advances the pull cursor in the same transaction. A change
    /// this node can never apply (a data error: malformed, unknown type, unknown event) is parked
    /// with its error so the ones after it still flow; any other failure (a full disk, an I/O
    /// error, a lock held too long) is thrown with nothing changed, to be retried: the cursor
    /// stays before the change. A change at or before the cursor is ignored.
    @discardableResult
    public func apply(_ change: Change) throws -> ChangeOutcome {
        do {
            return try db.write {
                guard change.seq > (try pullCursor()) else { return .ignored }
                let outcome = try ChangeApplier(node: node).apply(change)
                try advance(past: change)
                try state.set(.lastPullAt, node.clock.now().milliseconds)
                return outcome
            }
        } catch  where NodeFailure.isData(error) {
            return try db.write {
                guard change.seq > (try pullCursor()) else { return .ignored }
                let reason = NodeFailure.describe(error)
                try db.execute(
                    """
                    INSERT INTO sync_pull_parked (seq, change_type, entity_id, payload, error, parked_at) VALUES (?, ?, ?, ?, ?, ?)
                    ON CONFLICT (seq) DO NOTHING
                    """,
                    [
                        change.seq, change.type, change.entityID, change.payload, SyncLimits.clip(reason, to: 1000),
                        node.clock.now().milliseconds,
                    ])
                try advance(past: change)
                try node.audit.record(
                    "sync.change_parked", by: "central", entity: "change", id: String(change.seq),
                    detail: ["type": change.type, "error": SyncLimits.clip(reason, to: 200)])
                return .parked
            }
        }
    }

    /// Moves the cursor past `change` and remembers what it was under that number.
    private func advance(past change: Change) throws {
        try state.set(.pullCursor, change.seq)
        try db.execute(
            "INSERT INTO sync_pull_applied (seq, digest) VALUES (?, ?) ON CONFLICT (seq) DO UPDATE SET digest = excluded.digest",
            [change.seq, Self.digest(change)])
    }

    /// True unless central's change at the cursor is not the one this node applied under that
    /// number (or central no longer has it): then central was restored from a backup.
    public func agrees(with anchor: Change?, at cursor: Int64) throws -> Bool {
        guard cursor > 0,
            let applied: String = try db.scalar("SELECT digest FROM sync_pull_applied WHERE seq = ?", [cursor])
        else {
            return true
        }
        return anchor.map(Self.digest) == applied
    }

    /// Central was restored from a backup and numbers changes again from an older point: the
    /// cursor goes back to the newest change that `window` (central's changes before the cursor)
    /// and this node agree on, or to the start when none — changes are idempotent, so applying
    /// some again is safe, while skipping the ones central numbers anew would not be. Returns the
    /// new cursor.
    @discardableResult
    public func rewindPull(from cursor: Int64, window: [Change]) throws -> Int64 {
        let central = Dictionary(window.map { ($0.seq, Self.digest($0)) }, uniquingKeysWith: { first, _ in first })
        return try db.write {
            let agreed =
                try db.rows("SELECT seq, digest FROM sync_pull_applied WHERE seq <= ? ORDER BY seq DESC", [cursor])
                .first { row in central[try row.get("seq")] == (try row.get("digest", as: String.self)) }
                .map { try $0.get("seq", as: Int64.self) } ?? 0
            try state.set(.pullCursor, agreed)
            try db.execute("DELETE FROM sync_pull_applied WHERE seq > ?", [agreed])
            try node.audit.record(
                "sync.pull_rewound", by: "central", entity: "change", id: String(agreed),
                detail: ["was": String(cursor)])
            return agreed
        }
    }

    /// Notes that a pull found nothing new (keeps "last pull" fresh for health checks), and
    /// forgets the digests of all but the last 1,000 changes.
    public func recordPulled() throws {
        try db.write {
            try state.set(.lastPullAt, node.clock.now().milliseconds)
            try db.execute("DELETE FROM sync_pull_applied WHERE seq < ?", [try pullCursor() - 1000])
        }
    }

    /// What a change is, for telling it from another one under the same number.
    static func digest(_ change: Change) -> String {
        String(
            Hex.encode(SHA256.hash(Array("\(change.type)\u{1F}\(change.entityID)\u{1F}\(change.payload)".utf8))).prefix(
                32))
    }

    /// The changes this node parked, oldest first.
    public func parkedChanges() throws -> [ParkedChange] {
        try db.rows("SELECT * FROM sync_pull_parked ORDER BY seq").map { row in
            ParkedChange(
                seq: try row.get("seq"), type: try row.get("change_type"), entityID: try row.get("entity_id"),
                error: try row.get("error"), parkedAt: Timestamp(milliseconds: try row.get("parked_at")))
        }
    }

    /// Applies the parked changes again, oldest first, each in its own transaction (after a fix:
    /// a newer build that knows a change type, an event that now exists). One that applies leaves
    /// the list; one that still cannot stays with its new error. Supervisors and admins.
    public func retryParked(by actor: Operator) throws -> [RetriedChange] {
        try actor.require(.supervisor, to: "re-applying parked changes")
        return try db.rows("SELECT * FROM sync_pull_parked ORDER BY seq").map { row in
            let change = Change(
                seq: try row.get("seq"), type: try row.get("change_type"), entityID: try row.get("entity_id"),
                payload: try row.get("payload"))
            do {
                let outcome = try db.write { () -> ChangeOutcome in
                    let outcome = try ChangeApplier(node: node).apply(change)
                    try db.execute("DELETE FROM sync_pull_parked WHERE seq = ?", [change.seq])
                    try node.audit.record(
                        "sync.change_reapplied", by: actor.name, entity: "change", id: String(change.seq),
                        detail: ["type": change.type, "outcome": outcome.rawValue])
                    return outcome
                }
                return RetriedChange(seq: change.seq, type: change.type, outcome: outcome, error: nil)
            } catch  where NodeFailure.isData(error) {
                let reason = NodeFailure.describe(error)
                try db.write {
                    try db.execute(
                        "UPDATE sync_pull_parked SET error = ? WHERE seq = ?",
                        [SyncLimits.clip(reason, to: 1000), change.seq])
                }
                return RetriedChange(seq: change.seq, type: change.type, outcome: nil, error: reason)
            }
        }
    }
}

/// Whether a failure while applying something from central is about that thing (park it: it can
/// never apply) or about the moment (throw: retried later, nothing skipped).
enum NodeFailure {
    /// Refusals by a rule of the node, malformed payloads, and constraint or type errors of SQLite.
    static func isData(_ error: Error) -> Bool {
        switch error {
        case let error as TicketingError:
            switch error {
            case .conflict: false
            case .rejected(let code, _): code != "io_error"
            default: true
            }
        case is DecodingError: true
        case let error as StoreError: error.isDataError
        default: false
        }
    }

    /// The error as it is kept with the parked change.
    static func describe(_ error: Error) -> String {
        switch error {
        case DecodingError.dataCorrupted(let context) where !context.codingPath.isEmpty:
            "malformed payload: \(context.codingPath.map(\.stringValue).joined(separator: ".")): "
                + context.debugDescription
        case let error as DecodingError: "malformed payload: \(error)"
        default: String(describing: error)
        }
    }
}
