import EdgeStore
import SyncWire

/// What the cashier sees after a sale, and what a replay of the same idempotency key returns.
public struct Receipt: Sendable, Codable, Equatable {
    public struct Ticket: Sendable, Codable, Equatable {
        /// The short code.
        public let code: String
        public let seat: String?
        public let price: Money
        public let status: TicketStatus
        /// What its QR code carries (``SignedTicketCode``); nil for a ticket sold before signing.
        public let signedCode: String?
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
    public let eventStartsAt: Timestamp
    /// The venue's IANA zone: how people read the receipt's times.
    public let timezone: String
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
    /// The receipt of an order just written, from what was written (no read back; the venue's
    /// zone came with the event): equal to what ``load(orderID:replayed:from:)`` reads for it.
    init(placed record: OrderPlacedRecord, status: OrderStatus, event: EventState, customerEmail: String?) {
        let money = { (minor: Int64) in Money(minor: minor, currency: record.currency) }
        // As the read orders them: by seat (none first; labels are never empty), then code, byte
        // for byte.
        let tickets = record.tickets.sorted {
            let (left, right) = (($0.seat ?? "").utf8, ($1.seat ?? "").utf8)
            return left.elementsEqual(right)
                ? $0.code.utf8.lexicographicallyPrecedes($1.code.utf8) : left.lexicographicallyPrecedes(right)
        }
        self.init(
            orderID: record.orderID, status: status, eventID: event.id, eventName: event.name,
            eventStartsAt: event.startsAt, timezone: event.timezone, category: record.categoryCode,
            customerEmail: customerEmail,
            tickets: tickets.map {
                Ticket(
                    code: $0.code, seat: $0.seat, price: money($0.priceMinor), status: .valid, signedCode: $0.signedCode
                )
            },
            total: money(record.totalMinor),
            payment: Payment(
                id: record.payment.id, method: record.payment.method, amount: money(record.payment.amountMinor),
                tendered: record.payment.tenderedMinor.map(money), change: record.payment.changeMinor.map(money),
                reference: record.payment.reference, refunded: money(0), status: .captured),
            idempotencyKey: record.idempotencyKey, createdAt: record.createdAt, replayed: false)
    }

    /// Reads an order back as a receipt.
    static func load(orderID: String, replayed: Bool, from db: Database) throws -> Receipt {
        guard
            let order = try db.row(
                """
                SELECT o.*, e.name AS event_name, e.starts_at AS event_starts_at, v.timezone, c.email
                FROM orders o JOIN event e ON e.id = o.event_id JOIN venue v ON v.id = e.venue_id
                LEFT JOIN customer c ON c.id = o.customer_id WHERE o.id = ?
                """, [orderID])
        else {
            throw TicketingError.notFound("no order '\(orderID.prefix(40))'")
        }
        let row = try order.decode(OrderRow.self)
        let money = { (minor: Int64) in Money(minor: minor, currency: row.currency) }
        let tickets = try db.rows(
            """
            SELECT code, seat_label, price_minor, status, key_id, signature FROM ticket WHERE order_id = ?
            ORDER BY seat_label, code
            """,
            [orderID]
        ).map { row in
            TicketRow(
                code: try row.get("code"), seatLabel: try row.get("seat_label"), priceMinor: try row.get("price_minor"),
                status: try row.get("status"), keyID: try row.get("key_id"), signature: try row.get("signature"))
        }
        guard
            let payment = try db.row("SELECT * FROM payment WHERE order_id = ? ORDER BY created_at LIMIT 1", [orderID])?
                .decode(PaymentRow.self)
        else {
            throw TicketingError.notFound("order \(orderID) has no payment")
        }
        return Receipt(
            orderID: orderID, status: row.status, eventID: row.eventID, eventName: row.eventName,
            eventStartsAt: row.eventStartsAt, timezone: row.timezone, category: row.categoryCode,
            customerEmail: row.email,
            tickets: tickets.map {
                Ticket(
                    code: $0.code, seat: $0.seatLabel, price: money($0.priceMinor), status: $0.status,
                    signedCode: $0.signedCode(eventID: row.eventID))
            },
            total: money(row.totalMinor),
            payment: Payment(
                id: payment.id, method: payment.method, amount: money(payment.amountMinor),
                tendered: payment.tenderedMinor.map(money),
                change: payment.changeMinor.map(money), reference: payment.reference,
                refunded: money(payment.refundedMinor),
                status: payment.status),
            idempotencyKey: row.idempotencyKey, createdAt: row.createdAt, replayed: replayed)
    }
}

/// The columns a receipt reads.
private struct OrderRow: Decodable {
    let status: OrderStatus
    let eventID: String
    let eventName: String
    let eventStartsAt: Timestamp
    let timezone: String
    let categoryCode: String
    let email: String?
    let currency: String
    let totalMinor: Int64
    let idempotencyKey: String
    let createdAt: Timestamp
}

private struct TicketRow {
    let code: String
    let seatLabel: String?
    let priceMinor: Int64
    let status: TicketStatus
    let keyID: Int?
    let signature: [UInt8]?

    /// The signed code, put together again from the signature kept with the ticket.
    func signedCode(eventID: String) -> String? {
        guard let keyID, let signature, let serial = TicketCode.serial(ofShortCode: code) else { return nil }
        return SignedTicketCode(
            keyID: UInt16(truncatingIfNeeded: keyID), serial: serial, eventTag: SignedTicketCode.eventTag(eventID),
            signature: signature)?.text
    }
}

private struct PaymentRow: Decodable {
    let id: String
    let method: PaymentMethod
    let amountMinor: Int64
    let tenderedMinor: Int64?
    let changeMinor: Int64?
    let reference: String?
    let refundedMinor: Int64
    let status: PaymentStatus
}

extension Receipt: PrewrittenJSON {
    /// The receipt as `--json` and the API write it, without `JSONEncoder`'s machinery (it cost
    /// as much as the sale's transaction over HTTP): members in key order, as the encoder sorts them.
    public var jsonText: String {
        var json = JSONWriter()
        json.object { json in
            json.member("category", category)
            json.member("created_at", createdAt.description)
            json.member("customer_email", customerEmail)
            json.member("event_id", eventID)
            json.member("event_name", eventName)
            json.member("event_starts_at", eventStartsAt.description)
            json.member("idempotency_key", idempotencyKey)
            json.member("order_id", orderID)
            json.member("payment") { json in
                json.member("amount", money: payment.amount)
                json.member("change", money: payment.change)
                json.member("id", payment.id)
                json.member("method", payment.method.rawValue)
                json.member("reference", payment.reference)
                json.member("refunded", money: payment.refunded)
                json.member("status", payment.status.rawValue)
                json.member("tendered", money: payment.tendered)
            }
            json.member("replayed", replayed)
            json.member("status", status.rawValue)
            json.member("tickets", array: tickets) { json, ticket in
                json.object { json in
                    json.member("code", ticket.code)
                    json.member("price", money: ticket.price)
                    json.member("seat", ticket.seat)
                    json.member("signed_code", ticket.signedCode)
                    json.member("status", ticket.status.rawValue)
                }
            }
            json.member("timezone", timezone)
            json.member("total", money: total)
        }
        return json.text
    }
}
