/// One row of a node's `sync_outbox`: a fact for central, in commit order.
public struct OutboxRecord: Codable, Sendable, Equatable {
    /// Position in the node's outbox: strictly increasing, in commit order, with no gap.
    public let seq: Int64
    /// A ``SyncRecordType`` raw value; unknown types are parked by central, never dropped.
    public let type: String
    public let entityID: String
    /// The record's JSON payload, exactly as the node wrote it (empty when withheld).
    public let payload: String
    public let createdAt: Timestamp
    /// Set when the payload was larger than ``SyncLimits/maxPayloadBytes``: its size. The node
    /// keeps the record and sends it without its payload; central parks it.
    public let withheldBytes: Int?

    public init(
        seq: Int64, type: String, entityID: String, payload: String, createdAt: Timestamp, withheldBytes: Int? = nil
    ) {
        self.seq = seq
        self.type = type
        self.entityID = entityID
        self.payload = payload
        self.createdAt = createdAt
        self.withheldBytes = withheldBytes
    }
}

/// What a node sends in one push: the records after what it believes central acknowledged, and
/// its state. An empty batch is the heartbeat.
public struct PushBatch: Sendable, Equatable {
    public let nodeID: String
    public let protocolVersion: Int
    /// The node's epoch: starts at 1 and moves on with every restore of the node's database, so
    /// that central can tell a database that was replaced from the one that replaced it.
    public let epoch: Int64
    /// Records in `seq` order, with no gap.
    public let records: [OutboxRecord]
    /// The newest sequence number the node holds (its outbox's last record, pushed or not).
    public let lastSeq: Int64
    /// How many records the node still holds after these (for lag reporting).
    public let outboxPendingAfter: Int
    /// When the oldest record after these was written (nil when there is none).
    public let oldestPendingAt: Timestamp?
    /// The node's pull cursor: the last change sequence it applied.
    public let pullCursor: Int64
    /// The node's clock when it sent the batch: central reports the node's offset from its own
    /// clock, but never decides anything by it.
    public let sentAt: Timestamp

    public init(
        nodeID: String, protocolVersion: Int = SyncProtocolVersion.current, epoch: Int64 = 1, records: [OutboxRecord],
        lastSeq: Int64? = nil, outboxPendingAfter: Int, oldestPendingAt: Timestamp?, pullCursor: Int64,
        sentAt: Timestamp
    ) {
        self.nodeID = nodeID
        self.protocolVersion = protocolVersion
        self.epoch = epoch
        self.records = records
        self.lastSeq = lastSeq ?? records.last?.seq ?? 0
        self.outboxPendingAfter = outboxPendingAfter
        self.oldestPendingAt = oldestPendingAt
        self.pullCursor = pullCursor
        self.sentAt = sentAt
    }
}

/// Central's answer to a push, returned only after its transaction committed (or, when it
/// refused the batch, with nothing changed).
public struct PushResult: Sendable, Equatable, Codable {
    /// What central made of the batch.
    public enum Outcome: String, Sendable, Codable, CaseIterable {
        /// Applied (or skipped as a replay): the node may move its cursor to ``acknowledgedSeq``.
        case accepted
        /// The batch starts after ``acknowledgedSeq`` + 1: central lacks records before it (it was
        /// restored from a backup). Nothing applied; the node re-sends from ``acknowledgedSeq`` + 1.
        case gap
        /// Central knows this node at a later epoch: this database was replaced by a restore and
        /// must not push. Nothing applied.
        case staleEpoch = "stale_epoch"
        /// The node's history differs from central's from ``divergedAt`` on (a database copied
        /// back by hand, or one that lost records central holds). Nothing applied; the node takes
        /// back what central holds after ``divergedAt`` - 1.
        case diverged
    }

    public let outcome: Outcome
    /// The node's records up to here are stored at central (in ``centralEpoch`` and before).
    public let acknowledgedSeq: Int64
    /// The node's epoch as central knows it.
    public let centralEpoch: Int64
    /// Records applied in this push.
    public let applied: Int
    /// Records central could never apply, kept with their error (`central parked` shows them).
    public let parked: Int
    /// Records already acknowledged earlier (a replayed batch): checked and skipped, changing nothing.
    public let skipped: Int
    /// Central's clock when it handled the push: the node's offset is `sentAt - centralTime`.
    public let centralTime: Timestamp
    /// For ``Outcome/diverged``: the first sequence number whose record differs.
    public let divergedAt: Int64?

    public init(
        outcome: Outcome = .accepted, acknowledgedSeq: Int64, centralEpoch: Int64 = 1, applied: Int, parked: Int,
        skipped: Int,
        centralTime: Timestamp, divergedAt: Int64? = nil
    ) {
        self.outcome = outcome
        self.acknowledgedSeq = acknowledgedSeq
        self.centralEpoch = centralEpoch
        self.applied = applied
        self.parked = parked
        self.skipped = skipped
        self.centralTime = centralTime
        self.divergedAt = divergedAt
    }
}

/// What central holds of one node's own records after some sequence number: how a node restored
/// from a snapshot takes back the facts it made after that snapshot.
public struct HeldRecords: Sendable, Equatable, Codable {
    /// The node's epoch as central knows it.
    public let centralEpoch: Int64
    /// The node's newest record central holds.
    public let acknowledgedSeq: Int64
    /// Records after the asked sequence number, oldest first (one page).
    public let records: [OutboxRecord]
    /// The node's allocations in force at central (accepted proposals).
    public let allocations: [AllocationInForce]

    public init(centralEpoch: Int64, acknowledgedSeq: Int64, records: [OutboxRecord], allocations: [AllocationInForce])
    {
        self.centralEpoch = centralEpoch
        self.acknowledgedSeq = acknowledgedSeq
        self.records = records
        self.allocations = allocations
    }
}

/// One allocation of a node as it stands at central: the proposal the node last accepted.
public struct AllocationInForce: Sendable, Equatable, Codable {
    public let eventID: String
    public let categoryCode: String
    /// Central's version of the accepted proposal.
    public let version: Int
    /// GA categories: the quota. Seated: the number of seats.
    public let quota: Int
    /// Seated categories: the seat labels the node may sell.
    public let seats: [String]?

    public init(eventID: String, categoryCode: String, version: Int, quota: Int, seats: [String]?) {
        self.eventID = eventID
        self.categoryCode = categoryCode
        self.version = version
        self.quota = quota
        self.seats = seats
    }
}
