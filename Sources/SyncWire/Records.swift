/// Payloads of the records a node appends to `sync_outbox` (JSON, snake_case keys, sorted).
/// They are facts: what happened at this node, with everything central needs to apply them.

/// `order.placed`: an order, its tickets and its payment.
public struct OrderPlacedRecord: Codable, Sendable, Equatable {
    public struct Customer: Codable, Sendable, Equatable {
        public let id: String
        public let email: String
        public let name: String?
        public let phone: String?

        public init(id: String, email: String, name: String?, phone: String?) {
            self.id = id
            self.email = email
            self.name = name
            self.phone = phone
        }
    }
    public struct Ticket: Codable, Sendable, Equatable {
        /// The short code, the ticket's id.
        public let code: String
        public let seat: String?
        public let priceMinor: Int64
        /// The code its QR carries (``SignedTicketCode``); absent for a ticket sold before signing.
        public let signedCode: String?

        public init(code: String, seat: String?, priceMinor: Int64, signedCode: String? = nil) {
            self.code = code
            self.seat = seat
            self.priceMinor = priceMinor
            self.signedCode = signedCode
        }
    }
    public struct Payment: Codable, Sendable, Equatable {
        public let id: String
        public let method: PaymentMethod
        public let amountMinor: Int64
        public let tenderedMinor: Int64?
        public let changeMinor: Int64?
        public let reference: String?

        public init(
            id: String, method: PaymentMethod, amountMinor: Int64, tenderedMinor: Int64?, changeMinor: Int64?,
            reference: String?
        ) {
            self.id = id
            self.method = method
            self.amountMinor = amountMinor
            self.tenderedMinor = tenderedMinor
            self.changeMinor = changeMinor
            self.reference = reference
        }
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
    /// The digest of the cashier's request, so that a node taking the order back from central
    /// still recognises a retry of the same sale under its idempotency key.
    public let requestFingerprint: String?

    public init(
        orderID: String, nodeID: String, eventID: String, categoryCode: String, idempotencyKey: String, holdID: String?,
        customer: Customer?, tickets: [Ticket], totalMinor: Int64, currency: String, payment: Payment,
        createdAt: Timestamp,
        createdBy: String, requestFingerprint: String? = nil
    ) {
        self.orderID = orderID
        self.nodeID = nodeID
        self.eventID = eventID
        self.categoryCode = categoryCode
        self.idempotencyKey = idempotencyKey
        self.holdID = holdID
        self.customer = customer
        self.tickets = tickets
        self.totalMinor = totalMinor
        self.currency = currency
        self.payment = payment
        self.createdAt = createdAt
        self.createdBy = createdBy
        self.requestFingerprint = requestFingerprint
    }
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
    public let origin: RefundOrigin
    public let status: RefundStatus
    public let createdAt: Timestamp
    public let completedAt: Timestamp?
    public let actor: String
    /// For a refund head office ordered: its reference (``RefundOrder/orderReference``), so the
    /// order is carried out once even by a node that took the refund back from central.
    public let centralReference: String?

    public init(
        refundID: String, orderID: String, paymentID: String, nodeID: String, ticketCodes: [String], amountMinor: Int64,
        currency: String, reason: String, origin: RefundOrigin, status: RefundStatus, createdAt: Timestamp,
        completedAt: Timestamp?,
        actor: String, centralReference: String? = nil
    ) {
        self.refundID = refundID
        self.orderID = orderID
        self.paymentID = paymentID
        self.nodeID = nodeID
        self.ticketCodes = ticketCodes
        self.amountMinor = amountMinor
        self.currency = currency
        self.reason = reason
        self.origin = origin
        self.status = status
        self.createdAt = createdAt
        self.completedAt = completedAt
        self.actor = actor
        self.centralReference = centralReference
    }
}

/// `ticket.checked_in`: a ticket let in at a door of this node, or by an offline scanner whose
/// admissions this node imported.
public struct CheckInRecord: Codable, Sendable, Equatable {
    public let ticketCode: String
    /// The ticket's order; absent for a ticket another node sold (a door knows its code only).
    public let orderID: String?
    public let eventID: String
    /// The node whose door let it in (or that imported the scanner's admissions).
    public let nodeID: String
    public let checkedInAt: Timestamp
    public let actor: String
    /// The gate, as the door named it (absent: the node's only door, or a protocol 3 node).
    public let gate: String?
    /// `door` (absent too) or `scanner`: an offline scanner's admission imported later.
    public let source: AdmissionSource?
    /// The offline scanner that read it (`source` `scanner`): with `checked_in_at`, one read,
    /// whichever node imports it (central keeps it once).
    public let scanner: String?

    public init(
        ticketCode: String, orderID: String?, eventID: String, nodeID: String, checkedInAt: Timestamp, actor: String,
        gate: String? = nil, source: AdmissionSource? = nil, scanner: String? = nil
    ) {
        self.ticketCode = ticketCode
        self.orderID = orderID
        self.eventID = eventID
        self.nodeID = nodeID
        self.checkedInAt = checkedInAt
        self.actor = actor
        self.gate = gate
        self.source = source
        self.scanner = scanner
    }
}

/// `event.status_changed`: an event published, closed or cancelled at this node.
public struct EventStatusRecord: Codable, Sendable, Equatable {
    public let eventID: String
    public let nodeID: String
    /// on_sale, closed or cancelled.
    public let status: EventStatus
    public let reason: String?
    public let changedAt: Timestamp
    public let actor: String
    /// The version of the status at central this change was made over (0: none yet; absent from
    /// a protocol 2 node). Central takes a change of status only when every change since that
    /// version is this node's own (its earlier changes not yet pulled back); a cancellation, a
    /// fact with refunds behind it, whatever the version.
    public let fromVersion: Int64?

    public init(
        eventID: String, nodeID: String, status: EventStatus, reason: String?, changedAt: Timestamp, actor: String,
        fromVersion: Int64? = nil
    ) {
        self.eventID = eventID
        self.nodeID = nodeID
        self.status = status
        self.reason = reason
        self.changedAt = changedAt
        self.actor = actor
        self.fromVersion = fromVersion
    }
}

extension OrderPlacedRecord {
    /// The record as ``JSONText/encode(_:)`` writes it, without `JSONEncoder`: every sale writes
    /// one. A test holds the two byte-equal.
    public var jsonText: String {
        // Members in key order, as `JSONText` sorts them.
        var json = JSONWriter()
        json.object { json in
            json.member("category_code", categoryCode)
            json.member("created_at", createdAt.description)
            json.member("created_by", createdBy)
            json.member("currency", currency)
            if let customer {
                json.member("customer") { json in
                    json.member("email", customer.email)
                    json.member("id", customer.id)
                    json.member("name", customer.name)
                    json.member("phone", customer.phone)
                }
            }
            json.member("event_id", eventID)
            json.member("hold_id", holdID)
            json.member("idempotency_key", idempotencyKey)
            json.member("node_id", nodeID)
            json.member("order_id", orderID)
            json.member("payment") { json in
                json.member("amount_minor", payment.amountMinor)
                json.member("change_minor", payment.changeMinor)
                json.member("id", payment.id)
                json.member("method", payment.method.rawValue)
                json.member("reference", payment.reference)
                json.member("tendered_minor", payment.tenderedMinor)
            }
            json.member("request_fingerprint", requestFingerprint)
            json.member("tickets", array: tickets) { json, ticket in
                json.object { json in
                    json.member("code", ticket.code)
                    json.member("price_minor", ticket.priceMinor)
                    json.member("seat", ticket.seat)
                    if let signedCode = ticket.signedCode { json.member("signed_code", signedCode) }
                }
            }
            json.member("total_minor", totalMinor)
        }
        return json.text
    }
}
