import EdgeStore
import SyncWire

/// An order with its customer and refunds.
public struct OrderDetails: Sendable, Codable, Equatable {
    public let order: Receipt
    public let customerName: String?
    public let customerPhone: String?
    public let holdID: String?
    public let refunds: [RefundReceipt]
}

/// One order found by `lookup`.
public struct LookupHit: Sendable, Codable, Equatable {
    public let orderID: String
    public let eventID: String
    public let status: OrderStatus
    public let total: Money
    public let tickets: Int
    public let customerEmail: String?
    public let customerName: String?
    public let createdAt: Timestamp
}

/// Reading orders back: by id or ticket code, and by free text.
public struct Orders {
    let node: VenueNode
    var db: Database { node.database }

    /// An order by its id, or by one of its ticket codes.
    public func details(_ reference: String) throws -> OrderDetails {
        try db.read {
            var orderID = reference
            if let code = Identifiers.normalizedTicketCode(reference),
                let owner: String = try db.scalar("SELECT order_id FROM ticket WHERE code = ?", [code])
            {
                orderID = owner
            }
            let receipt = try Receipt.load(orderID: orderID, replayed: false, from: db)
            let extra = try db.row(
                """
                SELECT c.name, c.phone, o.hold_id FROM orders o LEFT JOIN customer c ON c.id = o.customer_id WHERE o.id = ?
                """, [orderID])
            let refunds = try db.rows("SELECT id FROM refund WHERE order_id = ? ORDER BY created_at", [orderID])
                .map { try node.refunds.receipt(try $0.get(0)) }
            return OrderDetails(
                order: receipt, customerName: try extra?.get("name"), customerPhone: try extra?.get("phone"),
                holdID: try extra?.get("hold_id"), refunds: refunds)
        }
    }

    /// Orders whose id starts with `text`, that hold a ticket code starting with it, or whose
    /// customer's email, name or phone contains it. Newest first, at most 50.
    public func lookup(_ text: String) throws -> [LookupHit] {
        let text = try Validation.text(text, field: "search text", maxLength: 200)
        guard text.count >= 3 else { throw TicketingError.invalidInput("search for at least 3 characters") }
        let escaped = Self.escapeLike(text)
        let codePrefix = Self.escapeLike(text.uppercased())
        let normalizedCode = Identifiers.normalizedTicketCode(text) ?? ""
        return try db.rows(
            """
            SELECT o.id, o.event_id, o.status, o.total_minor, o.currency, o.created_at, c.email, c.name,
                   (SELECT count(*) FROM ticket t WHERE t.order_id = o.id) AS tickets
            FROM orders o LEFT JOIN customer c ON c.id = o.customer_id
            WHERE o.id LIKE ? || '%' ESCAPE '\\'
               OR o.id IN (SELECT order_id FROM ticket WHERE code = ? OR code LIKE ? || '%' ESCAPE '\\')
               OR c.email LIKE '%' || ? || '%' ESCAPE '\\' OR c.name LIKE '%' || ? || '%' ESCAPE '\\'
               OR c.phone LIKE '%' || ? || '%' ESCAPE '\\'
            ORDER BY o.created_at DESC, o.id DESC LIMIT 50
            """, [escaped, normalizedCode, codePrefix, escaped, escaped, escaped]
        ).map { row in
            let hit = try row.decode(LookupRow.self)
            return LookupHit(
                orderID: hit.id, eventID: hit.eventID, status: hit.status,
                total: Money(minor: hit.totalMinor, currency: hit.currency),
                tickets: hit.tickets, customerEmail: hit.email, customerName: hit.name, createdAt: hit.createdAt)
        }
    }

    /// `text` with LIKE's wildcards and the escape character escaped.
    static func escapeLike(_ text: String) -> String {
        var out = ""
        for character in text {
            if character == "\\" || character == "%" || character == "_" { out.append("\\") }
            out.append(character)
        }
        return out
    }
}

extension VenueNode {
    /// Order details and search.
    public var orders: Orders { Orders(node: self) }
}

/// An order a search found.
private struct LookupRow: Decodable {
    let id: String
    let eventID: String
    let status: OrderStatus
    let totalMinor: Int64
    let currency: String
    let tickets: Int
    let email: String?
    let name: String?
    let createdAt: Timestamp
}
