import EdgeCrypto
import EdgeStore
import SyncWire

/// A fact a restore could not carry over from the replaced database, and why.
public struct CarryOverRefusal: Sendable, Codable, Equatable {
    /// Its number in the replaced database's outbox (which the restore kept).
    public let seq: Int64
    /// Its record type (`order.placed`…).
    public let type: String
    /// Its entity: the order, refund, ticket or event.
    public let entityID: String
    public let reason: String
}

/// What carrying facts over from a replaced database did.
public struct CarryOverReport: Sendable, Codable, Equatable {
    /// Facts written into this database, each with a new outbox record of its epoch.
    public var carried = 0
    /// Sales among them.
    public var sales = 0
    /// Facts this database already held (the snapshot had them, or central did and they were
    /// taken back).
    public var alreadyHere = 0
    /// Facts that conflict with what this database holds, left out.
    public var refused: [CarryOverRefusal] = []

    public init() {}
}

/// The facts a replaced database made that central never acknowledged — sales, refunds,
/// check-ins, event statuses — carried into the database a restore put in its place: in their
/// order, each written as the fact it was and given a new outbox record, so that it reaches
/// central in this database's epoch. A fact this database already holds is left as it is; one
/// that conflicts with it (a seat another sale holds, a capacity it would pass, a ticket refunded
/// meanwhile) is left out and listed. Allocation answers are not carried: pulling answers the
/// proposals again.
///
/// A node that must first take back from central what it lost keeps the facts in `sync_state`
/// (keys `carry_over:NNNNNNNNNN`, in order) and carries them over inside the take-back's
/// transaction, after central's records; one that never synced carries them over at once.
struct CarryOver {
    let node: VenueNode
    var db: Database { node.database }

    /// The record types carried over.
    static let types: [SyncRecordType] = [
        .orderPlaced, .refundQueued, .refundCompleted, .ticketCheckedIn, .eventStatusChanged, .signingKeyPublished,
    ]
    private static let keyPrefix = "carry_over:"

    /// The facts of `db` that central never acknowledged, oldest first, each once: those it still
    /// kept to carry over itself (it was restored and had not taken back yet), then its own outbox
    /// records after its acknowledged sequence (a restored database's own are its snapshot's,
    /// which may repeat what it keeps).
    static func unacknowledged(in db: Database) throws -> [OutboxRecord] {
        let kept = try CarryOver.kept(in: db)
        let acknowledged = try SyncState(db: db).integer(.acknowledgedSeq) ?? 0
        let own = try db.rows(
            """
            SELECT seq, record_type, entity_id, payload, created_at FROM sync_outbox
            WHERE seq > ? AND record_type IN (\(Array(repeating: "?", count: types.count).joined(separator: ", ")))
            ORDER BY seq
            """, [acknowledged] + types.map(\.rawValue)
        ).map { row in
            OutboxRecord(
                seq: try row.get("seq"), type: try row.get("record_type"), entityID: try row.get("entity_id"),
                payload: try row.get("payload"), createdAt: Timestamp(milliseconds: try row.get("created_at")))
        }
        var seen = Set<String>()
        return (kept + own).filter { seen.insert("\($0.type) \($0.entityID) \($0.payload)").inserted }
    }

    /// The facts of `facts` this database lacks: those a restore carries over or drops. It holds
    /// one that is its own outbox record under the same number (the snapshot's history, which it
    /// pushes or takes back itself), and a sale, refund, check-in or signing key it holds as it
    /// was (which no take-back undoes; an event's status may change back, so that one is held
    /// only as the same record).
    func lacking(_ facts: [OutboxRecord]) throws -> [OutboxRecord] {
        try facts.filter { fact in
            let same = try db.scalar(
                "SELECT 1 FROM sync_outbox WHERE seq = ? AND record_type = ? AND entity_id = ? AND payload = ?",
                [fact.seq, fact.type, fact.entityID, fact.payload], as: Int.self)
            guard same == nil else { return false }
            return try fact.type == SyncRecordType.eventStatusChanged.rawValue || !holds(fact)
        }
    }

    /// The facts `db` keeps to carry over after its take-back, in order.
    static func kept(in db: Database) throws -> [OutboxRecord] {
        try db.rows(
            "SELECT value FROM sync_state WHERE key >= ? AND key < ? ORDER BY key", [keyPrefix, "carry_over;"]
        ).map { try JSONText.decode(OutboxRecord.self, from: try $0.get(0)) }
    }

    /// Keeps `facts` to carry over once the node has taken back what central holds (in the
    /// caller's transaction).
    func keep(_ facts: [OutboxRecord]) throws {
        for (index, fact) in facts.enumerated() {
            let key = Self.keyPrefix + String(repeating: "0", count: max(0, 10 - String(index).count)) + String(index)
            try db.execute(
                "INSERT INTO sync_state (key, value) VALUES (?, ?)", [key, try JSONText.encode(fact)])
        }
    }

    /// Carries over what this database keeps for after its take-back, and forgets it (in the
    /// take-back's transaction, after central's records were written).
    func carryKept() throws -> CarryOverReport {
        let report = try carry(try Self.kept(in: db))
        try db.execute("DELETE FROM sync_state WHERE key >= ? AND key < ?", [Self.keyPrefix, "carry_over;"])
        return report
    }

    /// Carries `facts` over in their order, each in a savepoint of the caller's transaction.
    /// Inventory counters and seat statuses are left to ``InventorySettlement``, which follows.
    func carry(_ facts: [OutboxRecord]) throws -> CarryOverReport {
        var report = CarryOverReport()
        for fact in facts {
            do {
                switch try db.savepoint({ try carry(fact) }) {
                case .carried(let sale):
                    report.carried += 1
                    if sale { report.sales += 1 }
                case .alreadyHere:
                    report.alreadyHere += 1
                }
            } catch  where NodeFailure.isData(error) {
                let reason: String =
                    if case .rejected(Self.conflict, let message) = error as? TicketingError {
                        message
                    } else {
                        SyncLimits.clip(NodeFailure.describe(error), to: 300)
                    }
                report.refused.append(
                    CarryOverRefusal(seq: fact.seq, type: fact.type, entityID: fact.entityID, reason: reason))
                try node.audit.record(
                    "sync.not_carried_over", by: "restore", entity: "outbox", id: String(fact.seq),
                    detail: ["type": fact.type, "entity": fact.entityID, "reason": reason])
            }
        }
        return report
    }

    private enum Outcome {
        case carried(sale: Bool)
        case alreadyHere
    }

    /// The code of a fact that conflicts with this database (a data error: it is listed, and
    /// the facts after it go on).
    private static let conflict = "conflicts_here"

    private func refusal(_ reason: String) -> TicketingError { .rejected(code: Self.conflict, message: reason) }

    private static let live = "status IN \(TicketStatus.liveList)"

    /// True when this database holds `fact` as it was: carrying it over would change nothing.
    /// A fact that cannot be read is not held (carrying it over refuses it, listed).
    func holds(_ fact: OutboxRecord) throws -> Bool {
        guard let type = SyncRecordType(rawValue: fact.type) else { return false }
        switch type {
        case .orderPlaced:
            guard let order = try? JSONText.decode(OrderPlacedRecord.self, from: fact.payload) else { return false }
            return try exists("SELECT 1 FROM orders WHERE id = ?", order.orderID)
        case .refundQueued, .refundCompleted:
            guard let refund = try? JSONText.decode(RefundRecord.self, from: fact.payload) else { return false }
            let known: RefundStatus? = try db.scalar("SELECT status FROM refund WHERE id = ?", [refund.refundID])
            return known == .completed || known == refund.status
        case .ticketCheckedIn:
            guard let checkIn = try? JSONText.decode(CheckInRecord.self, from: fact.payload) else { return false }
            if try exists("SELECT 1 FROM door_admission WHERE ticket_code = ?", checkIn.ticketCode) { return true }
            let status: TicketStatus? = try db.scalar("SELECT status FROM ticket WHERE code = ?", [checkIn.ticketCode])
            return status == .checkedIn
        case .signingKeyPublished:
            guard let key = try? JSONText.decode(SigningKeyRecord.self, from: fact.payload),
                let publicKey = Hex.decode(key.publicKey), key.retiredAt == nil
            else { return false }
            return try db.scalar("SELECT 1 FROM signing_key WHERE public_key = ?", [publicKey], as: Int.self) != nil
        case .eventStatusChanged:
            guard let change = try? JSONText.decode(EventStatusRecord.self, from: fact.payload) else { return false }
            let status: EventStatus? = try db.scalar("SELECT status FROM event WHERE id = ?", [change.eventID])
            return status == change.status
        case .allocationAccepted, .allocationRejected:
            return false
        }
    }

    private func carry(_ fact: OutboxRecord) throws -> Outcome {
        guard let type = SyncRecordType(rawValue: fact.type), Self.types.contains(type) else {
            throw refusal("a record of type '\(SyncLimits.clip(fact.type, to: 60))' is not carried over")
        }
        if try holds(fact) { return .alreadyHere }
        switch type {
        case .orderPlaced:
            try checkSale(try JSONText.decode(OrderPlacedRecord.self, from: fact.payload))
        case .refundQueued, .refundCompleted:
            let refund = try JSONText.decode(RefundRecord.self, from: fact.payload)
            guard try exists("SELECT 1 FROM orders WHERE id = ?", refund.orderID) else {
                throw refusal("order \(refund.orderID) is not on this node")
            }
        case .ticketCheckedIn:
            let checkIn = try JSONText.decode(CheckInRecord.self, from: fact.payload)
            let status: TicketStatus? = try db.scalar("SELECT status FROM ticket WHERE code = ?", [checkIn.ticketCode])
            switch status {
            case .valid: break
            // Another node's ticket, let in at this node's door.
            case nil where checkIn.orderID == nil: break
            case nil: throw refusal("ticket \(checkIn.ticketCode) is not on this node")
            case let status?: throw refusal("ticket \(checkIn.ticketCode) is \(status.rawValue) here")
            }
        case .signingKeyPublished:
            _ = try JSONText.decode(SigningKeyRecord.self, from: fact.payload)
        case .eventStatusChanged:
            let change = try JSONText.decode(EventStatusRecord.self, from: fact.payload)
            let status: EventStatus? = try db.scalar("SELECT status FROM event WHERE id = ?", [change.eventID])
            guard let status else { throw refusal("event \(change.eventID) is not on this node") }
            if status == .cancelled { throw refusal("event \(change.eventID) is cancelled here") }
        case .allocationAccepted, .allocationRejected:
            break  // not among `types`
        }
        _ = try TakenBackFacts(node: node).apply(fact)
        try db.execute(
            "INSERT INTO sync_outbox (record_type, entity_id, payload, created_at) VALUES (?, ?, ?, ?)",
            [fact.type, fact.entityID, fact.payload, fact.createdAt.milliseconds])
        return .carried(sale: type == .orderPlaced)
    }

    /// Throws a refusal when this database cannot hold the sale as it was: its event unknown,
    /// its idempotency key another order's, one of its seats sold to another order, or the
    /// event's capacity passed.
    private func checkSale(_ order: OrderPlacedRecord) throws {
        guard let event = try db.row("SELECT capacity FROM event WHERE id = ?", [order.eventID]) else {
            throw refusal("event \(order.eventID) is not on this node")
        }
        if let other: String = try db.scalar(
            "SELECT id FROM orders WHERE idempotency_key = ?", [order.idempotencyKey])
        {
            throw refusal("its idempotency key is order \(other)'s here")
        }
        for seat in order.tickets.compactMap(\.seat) {
            if let other: String = try db.scalar(
                "SELECT order_id FROM ticket WHERE event_id = ? AND seat_label = ? AND \(Self.live)",
                [order.eventID, seat])
            {
                throw refusal("seat \(seat) is sold to order \(other) here")
            }
        }
        if let capacity: Int = try event.get("capacity") {
            let live: Int =
                try db.scalar("SELECT count(*) FROM ticket WHERE event_id = ? AND \(Self.live)", [order.eventID]) ?? 0
            guard live + order.tickets.count <= capacity else {
                throw refusal("event \(order.eventID) would pass its capacity of \(capacity)")
            }
        }
    }

    private func exists(_ sql: String, _ id: String) throws -> Bool {
        try db.scalar(sql, [id], as: Int.self) != nil
    }
}
