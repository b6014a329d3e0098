import MySQLClient
import SyncWire

/// Applies a run of consecutive `order.placed` records in a few multi-row statements — orders,
/// tickets and payments 500 rows at a time, the events' statuses and the seats' other sales read
/// once — with what ``RecordApplier`` does for one record: the same rows, the same conflicts.
struct OrderBatch {
    let connection: MySQLConnection
    let nodeID: String
    let now: Timestamp

    private var applier: RecordApplier { RecordApplier(connection: connection, nodeID: nodeID, now: now) }

    func apply(_ orders: [OrderPlacedRecord]) throws {
        guard !orders.isEmpty else { return }
        for order in orders {
            guard let customer = order.customer else { continue }
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
        try connection.insertRows(
            into:
                "orders (id, node_id, event_id, category_code, customer_id, status, total_minor, currency, idempotency_key, hold_id, created_at, created_by, received_at)",
            "(?, ?, ?, ?, ?, 'confirmed', ?, ?, ?, ?, ?, ?, ?)", onDuplicate: "id = id",
            orders.map { order in
                [
                    order.orderID, nodeID, order.eventID, order.categoryCode, order.customer?.id, order.totalMinor,
                    order.currency, order.idempotencyKey, order.holdID, order.createdAt.sqlText, order.createdBy,
                    now.sqlText,
                ]
            })
        let seatSales = try otherSeatSales(orders)
        try connection.insertRows(
            into:
                "ticket (code, order_id, node_id, event_id, category_code, seat_label, price_minor, status, created_at, signed, key_id)",
            "(?, ?, ?, ?, ?, ?, ?, 'valid', ?, ?, ?)", onDuplicate: "code = code",
            orders.flatMap { order in
                order.tickets.map { ticket -> [any SQLValueConvertible] in
                    [
                        ticket.code, order.orderID, nodeID, order.eventID, order.categoryCode, ticket.seat,
                        ticket.priceMinor,
                        order.createdAt.sqlText, ticket.signedCode == nil ? 0 : 1, Self.keyID(of: ticket.signedCode),
                    ]
                }
            })
        try applyEarlierAdmissions(orders)
        try connection.insertRows(
            into:
                "payment (id, order_id, node_id, method, amount_minor, currency, tendered_minor, change_minor, reference, status, created_at)",
            "(?, ?, ?, ?, ?, ?, ?, ?, ?, 'captured', ?)", onDuplicate: "id = id",
            orders.map { order in
                let payment = order.payment
                return [
                    payment.id, order.orderID, nodeID, payment.method, payment.amountMinor, order.currency,
                    payment.tenderedMinor, payment.changeMinor, payment.reference, order.createdAt.sqlText,
                ]
            })
        try recordSeatConflicts(orders, existing: seatSales)
        try recordSalesForCancelledEvents(orders)
    }

    /// The id of the key that signed `signedCode` (nil: no signed code, or one that cannot be read).
    static func keyID(of signedCode: String?) -> Int? {
        guard let signedCode, case .signed(let code)? = try? TicketCode.read(signedCode) else { return nil }
        return Int(code.keyID)
    }

    /// A seat's live sale in another order, as central holds it before this run.
    private struct SeatSale: Hashable {
        let eventID: String
        let seat: String
        let orderID: String
        let nodeID: String
    }

    /// The live tickets of other orders for the seats this run sells, read once.
    private func otherSeatSales(_ orders: [OrderPlacedRecord]) throws -> [SeatSale] {
        let seats = orders.flatMap { order in order.tickets.compactMap { $0.seat.map { (order.eventID, $0) } } }
        guard !seats.isEmpty else { return [] }
        var found = [SeatSale]()
        for start in stride(from: 0, to: seats.count, by: 500) {
            let chunk = seats[start..<min(start + 500, seats.count)]
            found += try connection.rows(
                """
                SELECT event_id, seat_label, order_id, node_id FROM ticket
                WHERE (event_id, seat_label) IN (\(Array(repeating: "(?, ?)", count: chunk.count).joined(separator: ", ")))
                  AND status IN \(TicketStatus.liveList)
                """, chunk.flatMap { [$0.0, $0.1] as [any SQLValueConvertible] }
            ).map {
                SeatSale(
                    eventID: try $0.get("event_id"), seat: try $0.get("seat_label"), orderID: try $0.get("order_id"),
                    nodeID: try $0.get("node_id"))
            }
        }
        return found
    }

    /// A seat sold by another order — already at central, or earlier in this run — was sold twice.
    private func recordSeatConflicts(_ orders: [OrderPlacedRecord], existing: [SeatSale]) throws {
        var sales = Dictionary(grouping: existing) { "\($0.eventID)/\($0.seat)" }
        for order in orders {
            for seat in order.tickets.compactMap(\.seat) {
                let key = "\(order.eventID)/\(seat)"
                for other in sales[key, default: []] where other.orderID != order.orderID {
                    try applier.conflict(
                        "seat_double_sold", entity: key,
                        detail:
                            "seat \(seat) of \(order.eventID) sold by \(other.nodeID) (order \(other.orderID)) and by \(nodeID) (order \(order.orderID))"
                    )
                }
                sales[key, default: []].append(
                    SeatSale(eventID: order.eventID, seat: seat, orderID: order.orderID, nodeID: nodeID))
            }
        }
    }

    /// Tickets another node's door let in before their sale reached central (its seller was
    /// offline): their rows take an admission central holds.
    private func applyEarlierAdmissions(_ orders: [OrderPlacedRecord]) throws {
        let orderIDs = orders.map(\.orderID)
        for start in stride(from: 0, to: orderIDs.count, by: 500) {
            let chunk = Array(orderIDs[start..<min(start + 500, orderIDs.count)])
            try connection.execute(
                """
                UPDATE ticket t JOIN ticket_admission a ON a.ticket_code = t.code
                SET t.status = 'checked_in', t.checked_in_at = a.admitted_at
                WHERE t.status = 'valid' AND t.order_id IN (\(Array(repeating: "?", count: chunk.count).joined(separator: ", ")))
                """, chunk)
        }
    }

    /// Sales for events head office cancelled, each recorded for reconciliation.
    private func recordSalesForCancelledEvents(_ orders: [OrderPlacedRecord]) throws {
        let events = Array(Set(orders.map(\.eventID)))
        let cancelled = Set(
            try connection.rows(
                "SELECT id FROM event WHERE status = 'cancelled' AND id IN (\(Array(repeating: "?", count: events.count).joined(separator: ", ")))",
                events
            ).map { try $0.get(0, as: String.self) })
        for order in orders where cancelled.contains(order.eventID) {
            try applier.conflict(
                "sale_for_cancelled_event", entity: order.orderID,
                detail:
                    "order \(order.orderID) from \(nodeID) sold \(order.tickets.count) ticket(s) of cancelled event \(order.eventID)"
            )
        }
    }
}
