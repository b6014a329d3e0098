/// The sync protocol between a node and central MySQL, version ``SyncProtocolVersion/current``.
/// `SyncProtocol/README.md` is its specification; the types here are its wire form.
public enum SyncProtocolVersion {
    /// The version this build speaks. Central records each node's version on every push.
    public static let current = 1
}

/// One row of a node's `sync_outbox`: a fact for central, in commit order.
public struct OutboxRecord: Codable, Sendable, Equatable {
    /// Position in the node's outbox: strictly increasing, in commit order.
    public let seq: Int64
    /// A ``SyncRecordType`` raw value; unknown types are parked by central, never dropped.
    public let type: String
    public let entityID: String
    /// The record's JSON payload, exactly as the node wrote it.
    public let payload: String
    public let createdAt: Timestamp

    public init(seq: Int64, type: String, entityID: String, payload: String, createdAt: Timestamp) {
        self.seq = seq
        self.type = type
        self.entityID = entityID
        self.payload = payload
        self.createdAt = createdAt
    }
}

/// What a node sends in one push: the records after its acknowledged sequence, and its state.
public struct PushBatch: Sendable, Equatable {
    public let nodeID: String
    public let protocolVersion: Int
    /// Records in `seq` order, all after the node's acknowledged sequence.
    public let records: [OutboxRecord]
    /// How many records the node still holds after these (for lag reporting).
    public let outboxPendingAfter: Int
    /// When the oldest record after these was written (nil when there is none).
    public let oldestPendingAt: Timestamp?
    /// The node's pull cursor: the last change sequence it applied.
    public let pullCursor: Int64

    public init(nodeID: String, protocolVersion: Int = SyncProtocolVersion.current, records: [OutboxRecord],
                outboxPendingAfter: Int, oldestPendingAt: Timestamp?, pullCursor: Int64) {
        self.nodeID = nodeID
        self.protocolVersion = protocolVersion
        self.records = records
        self.outboxPendingAfter = outboxPendingAfter
        self.oldestPendingAt = oldestPendingAt
        self.pullCursor = pullCursor
    }
}

/// Central's answer to a push, returned only after its transaction committed.
public struct PushResult: Sendable, Equatable, Codable {
    /// The node's records up to here are stored at central: the node may advance its cursor.
    public let acknowledgedSeq: Int64
    /// Records applied in this push.
    public let applied: Int
    /// Records central could never apply, kept with their error (`central nodes` shows them).
    public let parked: Int
    /// Records already acknowledged earlier (a replayed batch): skipped, changing nothing.
    public let skipped: Int

    public init(acknowledgedSeq: Int64, applied: Int, parked: Int, skipped: Int) {
        self.acknowledgedSeq = acknowledgedSeq
        self.applied = applied
        self.parked = parked
        self.skipped = skipped
    }
}

/// The kinds of change central publishes for nodes to pull.
public enum ChangeType: String, Sendable, Codable, CaseIterable {
    /// An event with its venue and categories (payload: ``ReferenceData`` with one venue and event).
    case catalogEvent = "catalog.event"
    /// A new allocation for one node (payload: ``AllocationProposal``).
    case allocationProposed = "allocation.proposed"
    /// An event cancelled, closed or reopened centrally (payload: ``EventStatusChange``).
    case eventStatus = "event.status"
    /// A refund head office orders a node to carry out (payload: ``RefundOrder``).
    case refundOrdered = "refund.ordered"
}

/// One row of central's change log, as a node pulls it.
public struct Change: Codable, Sendable, Equatable {
    /// Commit-ordered sequence number.
    public let seq: Int64
    /// A ``ChangeType`` raw value.
    public let type: String
    public let entityID: String
    public let payload: String

    public init(seq: Int64, type: String, entityID: String, payload: String) {
        self.seq = seq
        self.type = type
        self.entityID = entityID
        self.payload = payload
    }
}

/// `allocation.proposed`: what one node may sell of one category, as a whole (not a delta), so
/// applying it twice is harmless. The node accepts it only if it keeps everything it already
/// sold or holds, and answers with an ``AllocationResponseRecord``.
public struct AllocationProposal: Codable, Sendable, Equatable {
    public let eventID: String
    public let categoryCode: String
    public let nodeID: String
    public let version: Int
    /// GA categories.
    public let quota: Int?
    /// Seated categories: every seat label the node may sell.
    public let seats: [String]?

    public init(eventID: String, categoryCode: String, nodeID: String, version: Int, quota: Int?, seats: [String]?) {
        self.eventID = eventID
        self.categoryCode = categoryCode
        self.nodeID = nodeID
        self.version = version
        self.quota = quota
        self.seats = seats
    }
}

/// `event.status`: an event's new status, decided centrally.
public struct EventStatusChange: Codable, Sendable, Equatable {
    public let eventID: String
    /// on_sale, closed or cancelled.
    public let status: String
    public let reason: String?

    public init(eventID: String, status: String, reason: String?) {
        self.eventID = eventID
        self.status = status
        self.reason = reason
    }
}

/// `refund.ordered`: head office orders a refund of some tickets of an order sold by the node.
public struct RefundOrder: Codable, Sendable, Equatable {
    /// Central's id for the order, so that the node carries it out once.
    public let orderReference: String
    public let orderID: String
    public let ticketCodes: [String]
    public let reason: String

    public init(orderReference: String, orderID: String, ticketCodes: [String], reason: String) {
        self.orderReference = orderReference
        self.orderID = orderID
        self.ticketCodes = ticketCodes
        self.reason = reason
    }
}

/// `allocation.accepted` / `allocation.rejected`: a node's answer to a proposal.
public struct AllocationResponseRecord: Codable, Sendable, Equatable {
    public let eventID: String
    public let categoryCode: String
    public let nodeID: String
    public let version: Int
    public let accepted: Bool
    /// Why a proposal was rejected.
    public let reason: String?
    /// What the node had sold and held when it answered.
    public let sold: Int
    public let held: Int

    public init(eventID: String, categoryCode: String, nodeID: String, version: Int, accepted: Bool, reason: String?, sold: Int, held: Int) {
        self.eventID = eventID
        self.categoryCode = categoryCode
        self.nodeID = nodeID
        self.version = version
        self.accepted = accepted
        self.reason = reason
        self.sold = sold
        self.held = held
    }
}
