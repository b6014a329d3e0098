/// Payloads of the records a node appends to `sync_outbox` (JSON, snake_case keys, sorted).
/// They are facts: what happened at this node, with everything central needs to apply them.

/// `order.placed`: an order, its tickets and its payment.
public struct OrderPlacedRecord: Codable, Sendable, Equatable {
    public struct Customer: Codable, Sendable, Equatable {
        public let id: String
        public let email: String
        public let name: String?
        public let phone: String?
    }
    public struct Ticket: Codable, Sendable, Equatable {
        public let code: String
        public let seat: String?
        public let priceMinor: Int64
    }
    public struct Payment: Codable, Sendable, Equatable {
        public let id: String
        public let method: String
        public let amountMinor: Int64
        public let tenderedMinor: Int64?
        public let changeMinor: Int64?
        public let reference: String?
    }
    public let orderID: String
    public let nodeID: String
    public let eventID: String
    public let categoryCode: String
    public let idempotencyKey: String
    public let holdID: String?
    public let customer: Customer?
    public let tickets: [Ticket]
    public let totalMinor: Int64
    public let currency: String
    public let payment: Payment
    public let createdAt: Timestamp
    public let createdBy: String
}

/// `refund.queued` and `refund.completed`: money going back for some tickets of an order.
public struct RefundRecord: Codable, Sendable, Equatable {
    public let refundID: String
    public let orderID: String
    public let paymentID: String
    public let nodeID: String
    public let ticketCodes: [String]
    public let amountMinor: Int64
    public let currency: String
    public let reason: String
    public let origin: String
    public let status: String
    public let createdAt: Timestamp
    public let completedAt: Timestamp?
    public let actor: String
}

/// `ticket.checked_in`: a ticket scanned at the door.
public struct CheckInRecord: Codable, Sendable, Equatable {
    public let ticketCode: String
    public let orderID: String
    public let eventID: String
    public let nodeID: String
    public let checkedInAt: Timestamp
    public let actor: String
}

/// `event.status_changed`: an event published, closed or cancelled at this node.
public struct EventStatusRecord: Codable, Sendable, Equatable {
    public let eventID: String
    public let nodeID: String
    public let status: EventStatus
    public let reason: String?
    public let changedAt: Timestamp
    public let actor: String
}
