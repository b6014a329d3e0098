import EdgeStore
import SyncWire

/// Writes this node's own records, taken back from central, into the node's tables, inside the
/// take-back transaction. Each record is a fact that already happened here before a restore lost
/// it: it is written as it was, without the sale rules (inventory counters and seat statuses are
/// settled afterwards from the tickets, see ``InventorySettlement``). Writing a fact twice changes
/// nothing.
struct TakenBackFacts {
    let node: VenueNode
    var db: Database { node.database }

    /// What a record was, for the report.
    enum Kind { case order, refund, checkIn, other }

    /// Throws a data error for a record that cannot be written (unknown type, malformed payload).
    func apply(_ record: OutboxRecord) throws -> Kind {
        guard let type = SyncRecordType(rawValue: record.type) else {
            throw TicketingError.invalidInput("unknown record type '\(SyncLimits.clip(record.type, to: 60))'")
        }
        switch type {
        case .orderPlaced:
            try order(try JSONText.decode(OrderPlacedRecord.self, from: record.payload))
            return .order
        case .refundQueued, .refundCompleted:
            try refund(try JSONText.decode(RefundRecord.self, from: record.payload))
            return .refund
        case .ticketCheckedIn:
            let checkIn = try JSONText.decode(CheckInRecord.self, from: record.payload)
            try db.execute(
                "UPDATE ticket SET status = 'checked_in', checked_in_at = ? WHERE code = ? AND status = 'valid'",
                [checkIn.checkedInAt.milliseconds, checkIn.ticketCode])
            try db.execute(
                """
                INSERT INTO door_admission (ticket_code, event_id, node_id, gate, source, admitted_at) VALUES (?, ?, ?, ?, ?, ?)
                ON CONFLICT (ticket_code) DO NOTHING
                """,
                [
                    checkIn.ticketCode, checkIn.eventID, checkIn.nodeID, checkIn.gate, checkIn.source ?? .door,
                    checkIn.checkedInAt.milliseconds,
                ])
            if let scanner = checkIn.scanner {
                try DoorChanges(node: node).rememberScannerRead(
                    scanner: scanner, code: checkIn.ticketCode, at: checkIn.checkedInAt)
            }
            return .checkIn
        case .signingKeyPublished:
            _ = try DoorChanges(node: node).apply(try JSONText.decode(SigningKeyRecord.self, from: record.payload))
            return .other
        case .eventStatusChanged:
            let change = try JSONText.decode(EventStatusRecord.self, from: record.payload)
            try db.execute(
                "UPDATE event SET status = ?, version = version + 1 WHERE id = ? AND status NOT IN ('cancelled', ?)",
                [change.status, change.eventID, change.status])
            return .other
        case .allocationAccepted, .allocationRejected:
            let answer = try JSONText.decode(AllocationResponseRecord.self, from: record.payload)
            try db.execute(
                """
                UPDATE allocation SET central_version = max(central_version, ?) WHERE event_id = ? AND category_code = ?
                """, [answer.version, answer.eventID, answer.categoryCode])
            return .other
        }
    }

    private func order(_ order: OrderPlacedRecord) throws {
        guard try db.scalar("SELECT 1 FROM orders WHERE id = ?", [order.orderID], as: Int.self) == nil else { return }
        var customerID: String?
        if let customer = order.customer {
            if let known: String = try db.scalar("SELECT id FROM customer WHERE email = ?", [customer.email]) {
                customerID = known
            } else {
                try db.execute(
                    "INSERT INTO customer (id, email, name, phone, created_at) VALUES (?, ?, ?, ?, ?)",
                    [customer.id, customer.email, customer.name, customer.phone, order.createdAt.milliseconds])
                customerID = customer.id
            }
        }
        try db.execute(
            """
            INSERT INTO orders (id, idempotency_key, request_fingerprint, event_id, category_code, customer_id, status,
                                total_minor, currency, hold_id, created_at, created_by)
            VALUES (?, ?, ?, ?, ?, ?, 'confirmed', ?, ?, ?, ?, ?)
            """,
            [
                order.orderID, order.idempotencyKey, order.requestFingerprint ?? "taken-back", order.eventID,
                order.categoryCode,
                customerID, order.totalMinor, order.currency, order.holdID, order.createdAt.milliseconds,
                try staffID(named: order.createdBy),
            ])
        for ticket in order.tickets {
            let signed = try signature(of: ticket, eventID: order.eventID)
            try db.execute(
                """
                INSERT INTO ticket (code, order_id, event_id, category_code, seat_label, price_minor, status, key_id, signature)
                VALUES (?, ?, ?, ?, ?, ?, 'valid', ?, ?)
                """,
                [
                    ticket.code, order.orderID, order.eventID, order.categoryCode, ticket.seat, ticket.priceMinor,
                    signed.map { Int($0.keyID) }, signed?.signature,
                ])
        }
        let payment = order.payment
        try db.execute(
            """
            INSERT INTO payment (id, order_id, method, amount_minor, currency, tendered_minor, change_minor, reference, status, created_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'captured', ?)
            """,
            [
                payment.id, order.orderID, payment.method, payment.amountMinor, order.currency, payment.tenderedMinor,
                payment.changeMinor, payment.reference, order.createdAt.milliseconds,
            ])
        if let holdID = order.holdID {
            try db.execute("UPDATE hold SET status = 'confirmed', order_id = ? WHERE id = ?", [order.orderID, holdID])
        }
    }

    /// The signed code the sale gave `ticket`, as its record carries it, so that a reprint or a
    /// resend after a restore carries it again: kept when it is this ticket's, for its event,
    /// signed by one of this node's keys (the records before it brought back a key made after
    /// the snapshot); nil for a ticket sold before signing, or a code that is none of these.
    private func signature(of ticket: OrderPlacedRecord.Ticket, eventID: String) throws -> SignedTicketCode? {
        guard let text = ticket.signedCode, case .signed(let signed)? = try? TicketCode.read(text),
            signed.shortCode == ticket.code, signed.names(eventID: eventID)
        else { return nil }
        let keys = try db.rows(
            "SELECT public_key FROM signing_key WHERE key_id = ? AND node_id = ?",
            [Int(signed.keyID), try node.settings().nodeID]
        ).map { try $0.get(0, as: [UInt8].self) }
        return keys.contains { signed.isSigned(by: $0) } ? signed : nil
    }

    private func refund(_ refund: RefundRecord) throws {
        let previous: RefundStatus? = try db.scalar("SELECT status FROM refund WHERE id = ?", [refund.refundID])
        let completesNow = refund.status == .completed && previous != .completed
        if previous == nil {
            try db.execute(
                """
                INSERT INTO refund (id, order_id, payment_id, amount_minor, currency, reason, origin, status, created_at, created_by,
                                    completed_at, completed_by, central_reference)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """,
                [
                    refund.refundID, refund.orderID, refund.paymentID, refund.amountMinor, refund.currency,
                    refund.reason, refund.origin,
                    refund.status, refund.createdAt.milliseconds, refund.actor, refund.completedAt?.milliseconds,
                    refund.status == .completed ? refund.actor : nil, refund.centralReference,
                ])
            for code in refund.ticketCodes {
                try db.execute(
                    "INSERT INTO refund_ticket (refund_id, ticket_code) VALUES (?, ?)", [refund.refundID, code])
            }
        } else if completesNow {
            try db.execute(
                "UPDATE refund SET status = 'completed', completed_at = ?, completed_by = ? WHERE id = ?",
                [refund.completedAt?.milliseconds, refund.actor, refund.refundID])
        }
        let ticketStatus: TicketStatus = refund.status == .completed ? .refunded : .void
        for code in refund.ticketCodes {
            try db.execute(
                "UPDATE ticket SET status = ? WHERE code = ? AND status <> 'refunded'", [ticketStatus, code])
        }
        if completesNow {
            try db.execute(
                """
                UPDATE payment SET refunded_minor = refunded_minor + ?,
                    status = CASE WHEN refunded_minor + ? >= amount_minor THEN 'refunded' ELSE 'partially_refunded' END
                WHERE id = ?
                """, [refund.amountMinor, refund.amountMinor, refund.paymentID])
        }
        try db.execute(OrderStatusRule.updateSQL, [refund.orderID, refund.orderID, refund.orderID, refund.orderID])
    }

    /// The staff id behind a name in a record; a user the database lacks (added after the
    /// snapshot, and the replaced database could not be read) comes back as a disabled account
    /// without a password, which an admin enables (`users enable`) and gives one (`users passwd`).
    private func staffID(named name: String) throws -> String {
        if let id: String = try db.scalar("SELECT id FROM staff WHERE name = ?", [name]) { return id }
        let id = try node.users.insertStaff(name: name, role: .cashier, passwordHash: nil)
        try db.execute("UPDATE staff SET disabled = 1 WHERE id = ?", [id])
        try node.audit.record("user.taken_back", by: "central", entity: "staff", id: id, detail: ["name": name])
        return id
    }
}

/// After facts were taken back: holds from before the restore are released, seats follow the
/// tickets, this node's allocations follow the ones in force at central, and every counter is
/// recomputed from the tickets — so the inventory invariants hold again.
struct InventorySettlement {
    let node: VenueNode
    var db: Database { node.database }

    /// Settles everything; returns how many holds were released.
    func settle(_ allocations: [AllocationInForce]) throws -> Int {
        let released = try db.execute("UPDATE hold SET status = 'released' WHERE status = 'active'")
        try db.execute(
            "UPDATE event_seat SET status = 'available', hold_id = NULL, version = version + 1 WHERE status = 'held'")
        let live = """
            EXISTS (SELECT 1 FROM ticket t WHERE t.event_id = event_seat.event_id AND t.seat_label = event_seat.seat_label
                    AND t.status IN \(TicketStatus.liveList))
            """
        try db.execute(
            "UPDATE event_seat SET status = 'sold', version = version + 1 WHERE status <> 'sold' AND \(live)")
        try db.execute(
            "UPDATE event_seat SET status = 'available', version = version + 1 WHERE status = 'sold' AND NOT \(live)")
        var inForce = [String: AllocationInForce]()
        for allocation in allocations {
            inForce["\(allocation.eventID)/\(allocation.categoryCode)"] = allocation
            guard let seats = allocation.seats else { continue }
            let owned = Set(seats)
            for row in try db.rows(
                "SELECT seat_label, status FROM event_seat WHERE event_id = ? AND category_code = ?",
                [allocation.eventID, allocation.categoryCode])
            {
                let label: String = try row.get("seat_label")
                let status: SeatStatus = try row.get("status")
                let target: SeatStatus? =
                    owned.contains(label)
                    ? (status == .unallocated ? .available : nil)
                    : (status == .available ? .unallocated : nil)
                if let target {
                    try db.execute(
                        "UPDATE event_seat SET status = ?, version = version + 1 WHERE event_id = ? AND seat_label = ?",
                        [target, allocation.eventID, label])
                }
            }
        }
        // Every category with an allocation here, one in force at central, or live tickets.
        let categories = try db.rows(
            """
            SELECT c.event_id, c.code, c.kind, a.quota, a.central_version, coalesce(t.sold, 0) AS sold,
                   (SELECT count(*) FROM event_seat s WHERE s.event_id = c.event_id AND s.category_code = c.code
                      AND s.status <> 'unallocated') AS owned
            FROM price_category c LEFT JOIN allocation a ON a.event_id = c.event_id AND a.category_code = c.code
            LEFT JOIN (SELECT event_id, category_code, count(*) AS sold FROM ticket
                       WHERE status IN \(TicketStatus.liveList) GROUP BY event_id, category_code) t
              ON t.event_id = c.event_id AND t.category_code = c.code
            """)
        for row in categories {
            let event: String = try row.get("event_id")
            let code: String = try row.get("code")
            let central = inForce["\(event)/\(code)"]
            let localQuota: Int? = try row.get("quota")
            let sold: Int = try row.get("sold")
            guard localQuota != nil || central != nil || sold > 0 else { continue }
            let owned: Int = try row.get("owned")
            let seated = try row.get("kind", as: String.self) == "seated"
            let quota = max(seated ? owned : central?.quota ?? localQuota ?? 0, sold)
            let version = max(try row.get("central_version", as: Int?.self) ?? 0, central?.version ?? 0)
            if localQuota == nil {
                try db.execute(
                    """
                    INSERT INTO allocation (event_id, category_code, quota, sold, held, central_version) VALUES (?, ?, ?, ?, 0, ?)
                    """, [event, code, quota, sold, version])
            } else {
                try db.execute(
                    """
                    UPDATE allocation SET quota = ?, sold = ?, held = 0, version = version + 1, central_version = ?
                    WHERE event_id = ? AND category_code = ?
                    """, [quota, sold, version, event, code])
            }
        }
        try db.execute(
            """
            UPDATE event SET sold = (SELECT coalesce(sum(sold), 0) FROM allocation a WHERE a.event_id = event.id), held = 0,
                version = version + 1
            """)
        return released
    }
}
