import MySQLClient
import SyncWire

/// Applies one node record to central's tables, inside the push transaction.
///
/// Records are facts: a sale that happened offline happened, so nothing here refuses a domain
/// record. What allocation could not prevent (a seat sold by two nodes, a sale for an event
/// cancelled centrally) is recorded in `sync_conflict` for reconciliation. Statements are
/// idempotent (`ON DUPLICATE KEY UPDATE` with bound values, never `VALUES()`), which keeps them
/// portable between MariaDB and MySQL 8.
struct RecordApplier {
    let connection: MySQLConnection
    let nodeID: String
    let now: Timestamp

    /// Throws a data error for a record that can never be applied (unknown type, malformed
    /// payload, a value too long for its column), any other error for a failure to retry.
    func apply(_ record: OutboxRecord) throws {
        guard let type = SyncRecordType(rawValue: record.type) else {
            throw UnappliableRecord(
                reason: "unknown record type '\(SyncLimits.clip(record.type, to: 60))' (a newer node?)")
        }
        switch type {
        case .orderPlaced: try orderPlaced(try JSONText.decode(OrderPlacedRecord.self, from: record.payload))
        case .refundQueued, .refundCompleted: try refund(try JSONText.decode(RefundRecord.self, from: record.payload))
        case .ticketCheckedIn: try checkIn(try JSONText.decode(CheckInRecord.self, from: record.payload))
        case .eventStatusChanged: try eventStatus(try JSONText.decode(EventStatusRecord.self, from: record.payload))
        case .allocationAccepted, .allocationRejected:
            try CentralAllocations(connection: connection).respond(
                try JSONText.decode(AllocationResponseRecord.self, from: record.payload),
                now: now)
        }
    }

    private func orderPlaced(_ order: OrderPlacedRecord) throws {
        if let customer = order.customer {
            try connection.execute(
                """
                INSERT INTO customer (id, node_id, email, name, phone) VALUES (?, ?, ?, ?, ?)
                ON DUPLICATE KEY UPDATE email = ?, name = ?, phone = ?
                """,
                [
                    customer.id, nodeID, customer.email, customer.name, customer.phone, customer.email, customer.name,
                    customer.phone,
                ])
        }
        try connection.execute(
            """
            INSERT INTO orders (id, node_id, event_id, category_code, customer_id, status, total_minor, currency, idempotency_key,
                                hold_id, created_at, created_by, received_at)
            VALUES (?, ?, ?, ?, ?, 'confirmed', ?, ?, ?, ?, ?, ?, ?) ON DUPLICATE KEY UPDATE id = id
            """,
            [
                order.orderID, nodeID, order.eventID, order.categoryCode, order.customer?.id, order.totalMinor,
                order.currency,
                order.idempotencyKey, order.holdID, order.createdAt.sqlText, order.createdBy, now.sqlText,
            ])
        if !order.tickets.isEmpty {
            try connection.execute(
                """
                INSERT INTO ticket (code, order_id, node_id, event_id, category_code, seat_label, price_minor, status, created_at)
                VALUES \(Array(repeating: "(?, ?, ?, ?, ?, ?, ?, 'valid', ?)", count: order.tickets.count).joined(separator: ", "))
                ON DUPLICATE KEY UPDATE code = code
                """,
                order.tickets.flatMap { ticket -> [any SQLValueConvertible] in
                    [
                        ticket.code, order.orderID, nodeID, order.eventID, order.categoryCode, ticket.seat,
                        ticket.priceMinor,
                        order.createdAt.sqlText,
                    ]
                })
        }
        let payment = order.payment
        try connection.execute(
            """
            INSERT INTO payment (id, order_id, node_id, method, amount_minor, currency, tendered_minor, change_minor, reference, status, created_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'captured', ?) ON DUPLICATE KEY UPDATE id = id
            """,
            [
                payment.id, order.orderID, nodeID, payment.method, payment.amountMinor, order.currency,
                payment.tenderedMinor,
                payment.changeMinor, payment.reference, order.createdAt.sqlText,
            ])
        try recordSeatConflicts(order)
        if try connection.scalar("SELECT status FROM event WHERE id = ?", [order.eventID], as: String.self)
            == "cancelled"
        {
            try conflict(
                "sale_for_cancelled_event", entity: order.orderID,
                detail:
                    "order \(order.orderID) from \(nodeID) sold \(order.tickets.count) ticket(s) of cancelled event \(order.eventID)"
            )
        }
    }

    /// A seat that already has a live ticket from another order was sold twice.
    private func recordSeatConflicts(_ order: OrderPlacedRecord) throws {
        let seats = order.tickets.compactMap(\.seat)
        guard !seats.isEmpty else { return }
        let others = try connection.rows(
            """
            SELECT seat_label, order_id, node_id FROM ticket
            WHERE event_id = ? AND seat_label IN (\(Array(repeating: "?", count: seats.count).joined(separator: ", ")))
              AND status IN ('valid', 'checked_in') AND order_id <> ?
            """, [order.eventID] + seats + [order.orderID])
        for other in others {
            let seat: String = try other.get("seat_label")
            try conflict(
                "seat_double_sold", entity: "\(order.eventID)/\(seat)",
                detail: "seat \(seat) of \(order.eventID) sold by \(try other.get("node_id", as: String.self)) "
                    + "(order \(try other.get("order_id", as: String.self))) and by \(nodeID) (order \(order.orderID))")
        }
    }

    private func refund(_ refund: RefundRecord) throws {
        let previous: RefundStatus? = try connection.scalar(
            "SELECT status FROM refund WHERE id = ? FOR UPDATE", [refund.refundID])
        if previous == nil {
            try connection.execute(
                """
                INSERT INTO refund (id, order_id, payment_id, node_id, amount_minor, currency, reason, origin, status, created_at, completed_at,
                                    received_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """,
                [
                    refund.refundID, refund.orderID, refund.paymentID, nodeID, refund.amountMinor, refund.currency,
                    refund.reason, refund.origin, refund.status, refund.createdAt.sqlText, refund.completedAt?.sqlText,
                    now.sqlText,
                ])
            for code in refund.ticketCodes {
                try connection.execute(
                    "INSERT INTO refund_ticket (refund_id, ticket_code) VALUES (?, ?) ON DUPLICATE KEY UPDATE refund_id = refund_id",
                    [refund.refundID, code])
            }
        } else if previous != refund.status {
            try connection.execute(
                "UPDATE refund SET status = ?, completed_at = ? WHERE id = ?",
                [refund.status, refund.completedAt?.sqlText, refund.refundID])
        }
        let completedNow = refund.status == .completed && previous != .completed
        let ticketStatus: TicketStatus = refund.status == .completed ? .refunded : .void
        for code in refund.ticketCodes {
            try connection.execute(
                "UPDATE ticket SET status = ? WHERE code = ? AND status <> 'refunded'", [ticketStatus, code])
        }
        if completedNow {
            // `status` first, from the old amount: MySQL applies SET assignments left to right, the
            // SQL standard all at once; in this order both give the same result.
            try connection.execute(
                """
                UPDATE payment SET status = CASE WHEN refunded_minor + ? >= amount_minor THEN 'refunded' ELSE 'partially_refunded' END,
                    refunded_minor = refunded_minor + ?
                WHERE id = ?
                """, [refund.amountMinor, refund.amountMinor, refund.paymentID])
        }
        try connection.execute(
            OrderStatusRule.updateSQL, [refund.orderID, refund.orderID, refund.orderID, refund.orderID])
    }

    private func checkIn(_ checkIn: CheckInRecord) throws {
        try connection.execute(
            "UPDATE ticket SET status = 'checked_in', checked_in_at = ? WHERE code = ?",
            [checkIn.checkedInAt.sqlText, checkIn.ticketCode])
    }

    /// A node changed an event's status: central follows, and tells the other nodes.
    private func eventStatus(_ change: EventStatusRecord) throws {
        guard
            let current: EventStatus = try connection.scalar(
                "SELECT status FROM event WHERE id = ? FOR UPDATE", [change.eventID]),
            current != change.status, current != .cancelled
        else { return }
        try connection.execute(
            "UPDATE event SET status = ?, updated_at = ? WHERE id = ?", [change.status, now.sqlText, change.eventID])
        try ChangeFeed(connection: connection).append(
            .eventStatus, entityID: change.eventID, node: nil,
            payload: try JSONText.encode(
                EventStatusChange(eventID: change.eventID, status: change.status, reason: change.reason)), now: now)
    }

    private func conflict(_ kind: String, entity: String, detail: String) throws {
        try connection.execute(
            """
            INSERT INTO sync_conflict (kind, node_id, entity_id, detail, created_at) VALUES (?, ?, ?, ?, ?)
            ON DUPLICATE KEY UPDATE id = id
            """, [kind, nodeID, entity, SyncLimits.clip(detail, to: 1000), now.sqlText])
    }
}
