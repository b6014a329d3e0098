import EdgeStore
import SyncWire

/// The kinds of message sent to customers.
public enum NotificationKind: String, Codable, Sendable, CaseIterable {
    case orderConfirmed = "order_confirmed"
    case orderRefunded = "order_refunded"
    case eventCancelled = "event_cancelled"
    /// Head office ordered a refund (a seat sold twice, an oversold category).
    case refundOrdered = "refund_ordered"
}

/// Everything a message needs, stored with the notification so rendering never reads live data.
struct NotificationPayload: Codable, Equatable {
    let orderID: String
    let eventName: String
    let eventStartsAt: Timestamp
    let venueName: String
    let category: String
    let tickets: [Receipt.Ticket]
    let total: Money
    let refund: Money?
    let reason: String?
    /// The customer's name for the `To:` header (absent in notifications queued before it was kept).
    let customerName: String?
    /// The venue's IANA zone, for the event's time (absent before it was kept: UTC then).
    let venueTimezone: String?

    /// The tickets that let someone in (those refunded or voided since the sale left out), as
    /// the tickets email lists them, with their QR codes.
    var liveTickets: [Receipt.Ticket] { tickets.filter { $0.status.isLive } }

    /// What the live tickets cost: the order's total when none was refunded.
    var liveTotal: Money {
        liveTickets.count == tickets.count
            ? total : Money(minor: liveTickets.reduce(0) { $0 + $1.price.minor }, currency: total.currency)
    }
}

/// Appends customer notifications to the outbox table, inside the caller's transaction.
struct NotificationQueue {
    let node: VenueNode

    /// Queues a message about `orderID` to its customer, if the order has an email, or to
    /// `recipient`; returns its id (nil when there is no one to write to). `receipt` saves
    /// reading the order again when the caller has it.
    @discardableResult
    func enqueue(
        _ kind: NotificationKind, orderID: String, receipt: Receipt? = nil, refund: Money? = nil, reason: String? = nil,
        recipient: String? = nil
    ) throws -> String? {
        let db = node.database
        guard
            let row = try db.row(
                """
                SELECT c.email, c.name AS customer_name, e.name AS event_name, e.starts_at, v.name AS venue_name,
                       v.timezone, o.category_code
                FROM orders o LEFT JOIN customer c ON c.id = o.customer_id JOIN event e ON e.id = o.event_id
                JOIN venue v ON v.id = e.venue_id WHERE o.id = ?
                """, [orderID]),
            let email = try recipient ?? row.get("email", as: String?.self)
        else { return nil }
        let receipt = try receipt ?? Receipt.load(orderID: orderID, replayed: false, from: db)
        let payload = NotificationPayload(
            orderID: orderID, eventName: try row.get("event_name"),
            eventStartsAt: Timestamp(milliseconds: try row.get("starts_at")),
            venueName: try row.get("venue_name"), category: try row.get("category_code"), tickets: receipt.tickets,
            total: receipt.total, refund: refund, reason: reason, customerName: try row.get("customer_name"),
            venueTimezone: try row.get("timezone"))
        let due = Deadline(after: 0, on: node.clock)
        let id = node.ids.make(.notification)
        try db.execute(
            """
            INSERT INTO notification (id, kind, recipient, order_id, payload, status, \(Notifications.nextAttempt.columns),
                                      created_at)
            VALUES (?, ?, ?, ?, ?, 'pending', ?, ?, ?, ?)
            """,
            [id, kind.rawValue, email, orderID, try JSONText.encode(payload)] + due.values + [due.wall.milliseconds])
        return id
    }
}
