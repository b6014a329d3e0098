import SyncWire

/// The node's side of sync as `boxoffice status` and `/health` show it.
public struct SyncStatus: Sendable, Codable, Equatable {
    public let mode: CentralMode
    /// Why central is in that mode (`read_only`, `cannot_connect`, `privileges`, `disk_full`…).
    public let cause: String?
    public let modeSince: Timestamp?
    public let lastPushAt: Timestamp?
    public let lastPullAt: Timestamp?
    /// When `venue-syncd` last ran a cycle.
    public let lastCycleAt: Timestamp?
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
    /// This database's epoch: moved on by every restore.
    public let epoch: Int64
    /// Set after a restore until the node has taken back from central the facts it lost; the
    /// node does not sell meanwhile.
    public let recoveryPendingSince: Timestamp?
    /// How far this node's clock was ahead of central's (negative: behind) at the last push.
    public let clockOffsetSeconds: Int64?
    /// The identity of the central this node joined (nil before its first sync).
    public let centralIdentity: String?
}

/// What applying one pulled change did.
public enum ChangeOutcome: String, Sendable, Codable, Equatable {
    case applied, ignored, parked
}
