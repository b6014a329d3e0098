import EdgeStore
import SyncWire

/// The node's sync bookkeeping, one value per key in `sync_state`, read and written inside the
/// caller's transaction.
struct SyncState {
    /// The keys, each with one meaning.
    enum Key: String {
        /// The newest outbox record central holds, as central last said.
        case acknowledgedSeq = "push_acknowledged_seq"
        /// The last change pulled and applied (or parked).
        case pullCursor = "pull_cursor"
        case lastPushAt = "last_push_at"
        case lastPullAt = "last_pull_at"
        /// When the daemon last ran a sync cycle, whatever central's mode.
        case lastCycleAt = "last_cycle_at"
        case mode = "central_mode"
        case modeSince = "central_mode_since"
        /// A short word for why central is in its mode (`read_only`, `privileges`, `disk_full`…).
        case cause = "central_cause"
        case lastError = "last_error"
        /// How many of this node's records central has parked, as central last said.
        case centralParked = "central_parked"
        /// This database's epoch: 1 at `init`, moved on by every restore.
        case epoch
        /// Set while the node must take back from central the facts it lost (after a restore):
        /// the last sequence number its history shares with central's.
        case recoveryFork = "recovery_fork"
        /// When that recovery became necessary.
        case recoverySince = "recovery_since"
        /// The node's clock minus central's, in milliseconds, at the last push.
        case clockOffset = "clock_offset_ms"
        /// The identity of the central this node joined (``NodeSync/centralIdentity()``).
        case centralIdentity = "central_identity"
        /// When it joined that central.
        case centralJoinedAt = "central_joined_at"
    }

    let db: Database

    func text(_ key: Key) throws -> String? {
        try db.scalar("SELECT value FROM sync_state WHERE key = ?", [key.rawValue])
    }

    func integer(_ key: Key) throws -> Int64? { try text(key).flatMap(Int64.init) }

    func time(_ key: Key) throws -> Timestamp? { try integer(key).map(Timestamp.init(milliseconds:)) }

    func set(_ key: Key, _ value: String) throws {
        try db.execute(
            "INSERT INTO sync_state (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            [key.rawValue, value])
    }

    func set(_ key: Key, _ value: Int64) throws { try set(key, String(value)) }

    func remove(_ key: Key) throws {
        try db.execute("DELETE FROM sync_state WHERE key = ?", [key.rawValue])
    }

    /// The mode the daemon last recorded (`unknown` before it ran); a value that is no mode is an error.
    func mode() throws -> CentralMode {
        guard let text = try text(.mode) else { return .unknown }
        guard let mode = CentralMode(rawValue: text) else {
            throw StoreError(
                code: .mismatch, message: "sync_state holds central_mode '\(text)', which is not a known mode")
        }
        return mode
    }

    /// The epoch (1 until the first restore).
    func epoch() throws -> Int64 { try integer(.epoch) ?? 1 }

    /// Throws while the node must first take back its facts from central.
    func requireNoRecovery() throws {
        guard let since = try time(.recoverySince) else { return }
        throw TicketingError.rejected(
            code: "recovery_pending",
            message:
                "this node was restored from a snapshot at \(since.local(in: try NodeTimeZone.of(db))); it sells again once "
                + "venue-syncd has taken back its sales "
                + "from central (boxoffice status shows it)")
    }
}
