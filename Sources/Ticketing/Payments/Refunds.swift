import EdgeStore
import SyncWire

/// A refund as shown to the cashier.
public struct RefundReceipt: Sendable, Codable, Equatable {
    public let refundID: String
    public let orderID: String
    public let status: RefundStatus
    public let amount: Money
    public let method: PaymentMethod
    public let tickets: [String]
    public let reason: String
    public let origin: RefundOrigin
    public let orderStatus: OrderStatus
}

/// Refunds: tickets become invalid and their inventory returns at once; the money goes back when
/// the refund is completed (immediately at the counter, or later for queued refunds).
public struct Refunds {
    let node: VenueNode
    var db: Database { node.database }

    /// Refunds some tickets of an order (all valid ones when `ticketCodes` is nil), or pays out
    /// the refunds queued for it (event cancelled, ordered by central). Supervisors and admins.
    public func refund(orderID: String, ticketCodes: [String]?, reason: String, by actor: Operator) throws
        -> RefundReceipt
    {
        try actor.require(.supervisor, to: "refunds")
        let reason = try Validation.text(reason, field: "reason", maxLength: SyncLimits.reason)
        let codes = try ticketCodes.map { codes in
            try codes.map { code in
                guard let normalized = Identifiers.normalizedTicketCode(code) else {
                    throw TicketingError.invalidInput("'\(code.prefix(40))' is not a ticket code")
                }
                return normalized
            }
        }
        return try db.write {
            try ChangeGate(db: db).requireOpen()
            guard try db.scalar("SELECT 1 FROM orders WHERE id = ?", [orderID], as: Int.self) != nil else {
                throw TicketingError.notFound("no order '\(orderID.prefix(40))'")
            }
            let pending = try db.rows(
                "SELECT id FROM refund WHERE order_id = ? AND status = 'pending' ORDER BY created_at", [orderID]
            )
            .map { try $0.get(0, as: String.self) }
            if !pending.isEmpty {
                guard codes == nil else {
                    throw TicketingError.rejected(
                        code: "refund_pending",
                        message:
                            "order \(orderID) has a queued refund; refund the whole order (naming no tickets) to pay it out"
                    )
                }
                for refundID in pending { try complete(refundID: refundID, actor: actor.name) }
                return try receipt(pending.last!)
            }
            guard
                let refundID = try queue(
                    orderID: orderID, ticketCodes: codes, reason: reason, origin: .counter, actor: actor.name)
            else {
                throw TicketingError.rejected(
                    code: "nothing_to_refund", message: "order \(orderID) has no valid tickets to refund")
            }
            try complete(refundID: refundID, actor: actor.name)
            return try receipt(refundID)
        }
    }

    /// Voids tickets and gives their inventory back under a pending refund, inside the caller's
    /// transaction. Nil when the order has nothing left to refund.
    func queue(
        orderID: String, ticketCodes: [String]?, reason: String, origin: RefundOrigin, actor: String,
        centralReference: String? = nil
    ) throws -> String? {
        let refundable = origin == .counter ? "('valid')" : TicketStatus.liveList
        let tickets = try db.rows(
            "SELECT code, seat_label, price_minor FROM ticket WHERE order_id = ? AND status IN \(refundable) ORDER BY code",
            [orderID]
        ).map { try $0.decode(RefundableTicket.self) }
        let chosen: [RefundableTicket]
        if let ticketCodes {
            chosen = try ticketCodes.map { code in
                if let ticket = tickets.first(where: { $0.code == code }) { return ticket }
                guard
                    let status: TicketStatus = try db.scalar(
                        "SELECT status FROM ticket WHERE code = ? AND order_id = ?", [code, orderID])
                else {
                    throw TicketingError.notFound("ticket \(code) is not part of order \(orderID)")
                }
                throw TicketingError.rejected(
                    code: "ticket_not_refundable", message: "ticket \(code) cannot be refunded: it is \(status)")
            }
        } else {
            chosen = tickets
        }
        guard !chosen.isEmpty else { return nil }
        guard
            let order = try db.row(
                "SELECT * FROM orders o JOIN payment p ON p.order_id = o.id WHERE o.id = ? LIMIT 1", [orderID])
        else {
            throw TicketingError.notFound("order \(orderID) has no payment")
        }
        let eventID: String = try order.get("event_id")
        let category: String = try order.get("category_code")
        let codes = chosen.map(\.code)
        let seats = chosen.compactMap(\.seatLabel)
        let amount = chosen.reduce(Int64(0)) { $0 + $1.priceMinor }
        for code in codes { try db.execute("UPDATE ticket SET status = 'void' WHERE code = ?", [code]) }
        try node.inventory.setSeats(seats, eventID: eventID, to: .available, from: .sold)
        try node.inventory.adjust(eventID: eventID, categoryCode: category, soldDelta: -codes.count, heldDelta: 0)
        let refundID = node.ids.make(.refund)
        try db.execute(
            """
            INSERT INTO refund (id, order_id, payment_id, amount_minor, currency, reason, origin, status, created_at, created_by,
                                central_reference)
            VALUES (?, ?, (SELECT id FROM payment WHERE order_id = ? ORDER BY created_at LIMIT 1), ?, ?, ?, ?, 'pending', ?, ?, ?)
            """,
            [
                refundID, orderID, orderID, amount, try order.get("currency", as: String.self), reason, origin.rawValue,
                node.clock.now().milliseconds, actor, centralReference,
            ])
        for code in codes {
            try db.execute("INSERT INTO refund_ticket (refund_id, ticket_code) VALUES (?, ?)", [refundID, code])
        }
        try updateOrderStatus(orderID)
        if origin != .counter { try node.outbox.append(.refundQueued, id: refundID, payload: try record(refundID)) }
        try node.audit.record(
            "refund.queued", by: actor, entity: "refund", id: refundID,
            detail: ["order": orderID, "amount_minor": String(amount), "origin": origin.rawValue])
        return refundID
    }

    /// Pays out a pending refund, inside the caller's transaction.
    func complete(refundID: String, actor: String) throws {
        guard
            let refund = try db.row("SELECT * FROM refund WHERE id = ? AND status = 'pending'", [refundID])?.decode(
                RefundRow.self)
        else {
            throw TicketingError.notFound("no pending refund \(refundID)")
        }
        let orderID = refund.orderID
        let amount = refund.amountMinor
        let paymentID = refund.paymentID
        try db.execute(
            "UPDATE refund SET status = 'completed', completed_at = ?, completed_by = ? WHERE id = ?",
            [node.clock.now().milliseconds, actor, refundID])
        try db.execute(
            """
            UPDATE ticket SET status = 'refunded'
            WHERE code IN (SELECT ticket_code FROM refund_ticket WHERE refund_id = ?) AND status = 'void'
            """, [refundID])
        try db.execute(
            """
            UPDATE payment SET refunded_minor = refunded_minor + ?,
                status = CASE WHEN refunded_minor + ? >= amount_minor THEN 'refunded' ELSE 'partially_refunded' END
            WHERE id = ?
            """, [amount, amount, paymentID])
        try updateOrderStatus(orderID)
        try NotificationQueue(node: node).enqueue(
            .orderRefunded, orderID: orderID,
            refund: Money(minor: amount, currency: refund.currency), reason: refund.reason)
        try node.outbox.append(.refundCompleted, id: refundID, payload: try record(refundID))
        try node.audit.record(
            "refund.completed", by: actor, entity: "refund", id: refundID,
            detail: ["order": orderID, "amount_minor": String(amount)])
    }

    private func updateOrderStatus(_ orderID: String) throws {
        try db.execute(OrderStatusRule.updateSQL, [orderID, orderID, orderID, orderID])
    }

    private func record(_ refundID: String) throws -> RefundRecord {
        guard let row = try db.row("SELECT * FROM refund WHERE id = ?", [refundID])?.decode(RefundRow.self) else {
            throw TicketingError.notFound("no refund \(refundID)")
        }
        return RefundRecord(
            refundID: refundID, orderID: row.orderID, paymentID: row.paymentID, nodeID: try node.settings().nodeID,
            ticketCodes: try db.rows(
                "SELECT ticket_code FROM refund_ticket WHERE refund_id = ? ORDER BY ticket_code", [refundID]
            )
            .map { try $0.get(0) },
            amountMinor: row.amountMinor, currency: row.currency, reason: row.reason, origin: row.origin,
            status: row.status,
            createdAt: row.createdAt, completedAt: row.completedAt, actor: row.completedBy ?? row.createdBy,
            centralReference: row.centralReference)
    }

    func receipt(_ refundID: String) throws -> RefundReceipt {
        let record = try record(refundID)
        guard
            let row = try db.row(
                """
                SELECT p.method, o.status FROM refund r JOIN payment p ON p.id = r.payment_id JOIN orders o ON o.id = r.order_id WHERE r.id = ?
                """, [refundID])
        else { throw TicketingError.notFound("no refund \(refundID)") }
        return RefundReceipt(
            refundID: refundID, orderID: record.orderID, status: record.status,
            amount: Money(minor: record.amountMinor, currency: record.currency),
            method: try row.get("method"), tickets: record.ticketCodes,
            reason: record.reason, origin: record.origin, orderStatus: try row.get("status"))
    }
}

extension Refunds {
    /// Carries out a refund head office ordered, inside the caller's transaction: the tickets
    /// still valid among `order.ticketCodes` are voided under a pending refund (paid out at the
    /// counter with `boxoffice refund ORDER`) and the customer is told. An order already carried
    /// out (same reference) changes nothing.
    func carryOut(_ order: RefundOrder) throws -> ChangeOutcome {
        guard
            try db.scalar("SELECT 1 FROM refund WHERE central_reference = ?", [order.orderReference], as: Int.self)
                == nil
        else {
            return .ignored
        }
        guard try db.scalar("SELECT 1 FROM orders WHERE id = ?", [order.orderID], as: Int.self) != nil else {
            throw TicketingError.notFound("refund ordered for order \(order.orderID), which this node does not have")
        }
        let codes = try order.ticketCodes.map { code in
            guard let normalized = Identifiers.normalizedTicketCode(code) else {
                throw TicketingError.invalidInput("bad ticket code \(code)")
            }
            return normalized
        }
        let live = try codes.filter {
            try db.scalar(
                "SELECT 1 FROM ticket WHERE code = ? AND order_id = ? AND status IN \(TicketStatus.liveList)",
                [$0, order.orderID],
                as: Int.self) != nil
        }
        guard !live.isEmpty,
            let refundID = try queue(
                orderID: order.orderID, ticketCodes: live, reason: order.reason, origin: .central,
                actor: "central", centralReference: order.orderReference)
        else {
            return .ignored
        }
        let amount: Int64 = try db.scalar("SELECT amount_minor FROM refund WHERE id = ?", [refundID]) ?? 0
        let currency: String = try db.scalar("SELECT currency FROM refund WHERE id = ?", [refundID]) ?? ""
        try NotificationQueue(node: node).enqueue(
            .refundOrdered, orderID: order.orderID, refund: Money(minor: amount, currency: currency),
            reason: order.reason)
        return .applied
    }
}

extension VenueNode {
    /// Refunds at the counter and queued ones.
    public var refunds: Refunds { Refunds(node: self) }
}

/// A ticket a refund can take back.
private struct RefundableTicket: Decodable {
    let code: String
    let seatLabel: String?
    let priceMinor: Int64
}

/// A row of the `refund` table.
private struct RefundRow: Decodable {
    let orderID: String
    let paymentID: String
    let amountMinor: Int64
    let currency: String
    let reason: String
    let origin: RefundOrigin
    let status: RefundStatus
    let createdAt: Timestamp
    let createdBy: String
    let completedAt: Timestamp?
    let completedBy: String?
    let centralReference: String?
}
