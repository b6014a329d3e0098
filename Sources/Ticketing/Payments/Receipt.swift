import EdgeStore
import SyncWire

/// What the cashier sees after a sale, and what a replay of the same idempotency key returns.
public struct Receipt: Sendable, Codable, Equatable {
    public struct Ticket: Sendable, Codable, Equatable {
        public let code: String
        public let seat: String?
        public let price: Money
        public let status: TicketStatus
    }
    public struct Payment: Sendable, Codable, Equatable {
        public let id: String
        public let method: PaymentMethod
        public let amount: Money
        public let tendered: Money?
        public let change: Money?
        public let reference: String?
        public let refunded: Money
        public let status: PaymentStatus
    }
    public let orderID: String
    public let status: OrderStatus
    public let eventID: String
    public let eventName: String
    public let category: String
    public let customerEmail: String?
    public let tickets: [Ticket]
    public let total: Money
    public let payment: Payment
    public let idempotencyKey: String
    public let createdAt: Timestamp
    /// True when this is the earlier sale returned for a repeated idempotency key.
    public let replayed: Bool
}

extension Receipt {
    /// Reads an order back as a receipt.
    static func load(orderID: String, replayed: Bool, from db: Database) throws -> Receipt {
        guard let order = try db.row("""
            SELECT o.*, e.name AS event_name, c.email FROM orders o JOIN event e ON e.id = o.event_id
            LEFT JOIN customer c ON c.id = o.customer_id WHERE o.id = ?
            """, [orderID]) else {
            throw TicketingError.notFound("no order '\(orderID.prefix(40))'")
        }
        let currency: String = try order.get("currency")
        let money = { (minor: Int64) in Money(minor: minor, currency: currency) }
        let tickets = try db.rows("SELECT code, seat_label, price_minor, status FROM ticket WHERE order_id = ? ORDER BY seat_label, code",
                                  [orderID]).map { row in
            Ticket(code: try row.get("code"), seat: try row.get("seat_label"), price: money(try row.get("price_minor")),
                   status: try row.get("status"))
        }
        guard let payment = try db.row("SELECT * FROM payment WHERE order_id = ? ORDER BY created_at LIMIT 1", [orderID]) else {
            throw TicketingError.notFound("order \(orderID) has no payment")
        }
        return Receipt(
            orderID: orderID, status: try order.get("status"), eventID: try order.get("event_id"),
            eventName: try order.get("event_name"), category: try order.get("category_code"),
            customerEmail: try order.get("email"), tickets: tickets, total: money(try order.get("total_minor")),
            payment: Payment(id: try payment.get("id"), method: try payment.get("method"),
                             amount: money(try payment.get("amount_minor")),
                             tendered: try payment.get("tendered_minor", as: Int64?.self).map(money),
                             change: try payment.get("change_minor", as: Int64?.self).map(money),
                             reference: try payment.get("reference"), refunded: money(try payment.get("refunded_minor")),
                             status: try payment.get("status")),
            idempotencyKey: try order.get("idempotency_key"),
            createdAt: Timestamp(milliseconds: try order.get("created_at")), replayed: replayed)
    }
}
