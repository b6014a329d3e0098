import EdgeCrypto
import EdgeStore
import SyncWire

/// A sale as the cashier asks for it.
public struct SaleRequest: Sendable, Equatable, Codable {
    public var eventID: String
    public var categoryCode: String
    public var selection: SeatSelection
    public var payment: PaymentRequest
    public var customer: CustomerDetails?
    /// Repeating a sale with the same key returns the first sale and charges nothing more.
    /// Nil gets a fresh key (no replay protection across commands).
    public var idempotencyKey: String?

    public init(
        eventID: String, categoryCode: String, selection: SeatSelection, payment: PaymentRequest,
        customer: CustomerDetails? = nil, idempotencyKey: String? = nil
    ) {
        self.eventID = eventID
        self.categoryCode = categoryCode
        self.selection = selection
        self.payment = payment
        self.customer = customer
        self.idempotencyKey = idempotencyKey
    }
}

/// Sales: inventory, order, tickets, payment, notification and sync record in one transaction.
public struct Sales {
    let node: VenueNode
    var db: Database { node.database }

    /// Sells tickets. A repeated idempotency key returns the original receipt (`replayed`),
    /// even when the first attempt's answer was lost; reused for a different sale, it is refused.
    ///
    /// The settings (the most tickets an order takes, the cash change allowed) are read inside
    /// the sale's transaction, where another process's change cannot slip in between: a sale
    /// reads nothing before its turn.
    public func sell(_ request: SaleRequest, by actor: Operator) throws -> Receipt {
        try SaleLimits.checkShape(request.selection)
        try Tender.validate(request.payment, by: actor)
        let customer = try request.customer?.validated()
        // A key the cashier gave may have been used before; a fresh one cannot have been.
        let given = try request.idempotencyKey.map { try Self.validatedKey($0) }
        let key = given ?? node.ids.make(.idempotencyKey)
        let fingerprint = Self.fingerprint(request, customer: customer)
        if given != nil, let replay = try replay(key: key, fingerprint: fingerprint, by: actor) { return replay }
        // The tickets are signed here, before the writer's turn, not inside it; with the key in
        // force at the commit when that is another (a rotation came in between, or none is found now).
        let signer = try? node.signingKeys.currentSigner()
        let count =
            switch request.selection {
            case .quantity(let count): count
            case .seats(let labels): labels.count
            }
        let sale = OfferedSale(
            request: request, customer: customer, key: key, keyGiven: given != nil, fingerprint: fingerprint,
            actor: actor,
            presigned: signer.map { signer in
                (0..<count).map { _ in signer.sign(serial: node.ids.ticketSerial(), eventID: request.eventID) }
            } ?? [])
        // Offered to the writers ahead in line: the one whose turn comes first may sell it in its
        // own transaction and answer with the receipt.
        return try db.write(
            offering: { sale.encoded }, { recheck in try sell(sale, recheck: recheck) },
            answered: { answer in try OfferedSale.receipt(from: answer) })
    }

    /// The part of a sale inside the writer's turn. `recheck`: the sale may have been placed
    /// already, by a writer that took it and died; its key then finds it. The first sale of a
    /// turn reads the settings; the sales offered to it find them kept (``VenueNode/settings()``).
    func sell(_ sale: OfferedSale, recheck: Bool) throws -> Receipt {
        let request = sale.request
        let settings = try node.settings()
        if sale.keyGiven || recheck,
            let replay = try replay(
                key: sale.key, fingerprint: sale.fingerprint, by: sale.actor, replayed: sale.keyGiven)
        {
            return replay
        }
        try SaleLimits.check(request.selection, settings: settings)
        try ChangeGate(db: db).requireOpen()
        try node.inventory.sweepExpiredHolds(eventID: request.eventID)
        let reservation = try node.inventory.reserve(
            eventID: request.eventID, categoryCode: request.categoryCode,
            selection: request.selection, into: .sold)
        return try placeOrder(
            reservation, payment: request.payment, customer: sale.customer, key: sale.key,
            fingerprint: sale.fingerprint, holdID: nil, settings: settings, presigned: sale.presigned, by: sale.actor)
    }

    /// Sells a sale another process offered, inside this one's write transaction: the answer.
    func sellOffered(_ bytes: [UInt8]) throws -> [UInt8] {
        let sale = try OfferedSale(decoding: bytes)
        return OfferedSale.answer(try sell(sale, recheck: false))
    }

    /// Pays for a hold and turns it into an order. Confirming the same hold again returns its order.
    public func confirm(
        holdID: String, payment: PaymentRequest, customer: CustomerDetails?, idempotencyKey: String?,
        by actor: Operator
    ) throws -> Receipt {
        let settings = try node.settings()
        try Tender.validate(payment, by: actor)
        let customer = try customer?.validated()
        let key = try idempotencyKey.map { try Self.validatedKey($0) } ?? "confirm:\(holdID)"
        let fingerprint = Hex.encode(SHA256.hash(Array("confirm|\(holdID)".utf8)))
        return try db.write {
            // The key names this confirmation: used before for it, the order comes back; used
            // for anything else, the confirmation is refused (exit 4), as for a sale.
            if let replay = try replay(
                key: key, fingerprint: fingerprint, by: idempotencyKey == nil ? nil : actor)
            {
                return replay
            }
            var hold = try node.inventory.holdState(holdID)
            if hold.status == .confirmed, let orderID = hold.orderID {
                return try Receipt.load(orderID: orderID, replayed: true, from: db)
            }
            try ChangeGate(db: db).requireOpen()
            try node.inventory.sweepExpiredHolds(eventID: hold.eventID)
            hold = try node.inventory.holdState(holdID)
            guard hold.status == .active else {
                throw TicketingError.rejected(
                    code: "hold_\(hold.status.rawValue)",
                    message: "hold \(holdID) is \(hold.status.rawValue); place a new hold or sell directly")
            }
            let event = try node.inventory.eventState(hold.eventID)
            guard event.status == .onSale else {
                throw TicketingError.rejected(
                    code: "event_not_on_sale",
                    message: "event \(event.id) is not on sale (it is \(event.status.rawValue))")
            }
            let reservation = try node.inventory.convertHoldToSale(hold)
            let receipt = try placeOrder(
                reservation, payment: payment, customer: customer, key: key, fingerprint: fingerprint,
                holdID: holdID, settings: settings, by: actor)
            try node.inventory.markConfirmed(hold, orderID: receipt.orderID)
            return receipt
        }
    }

    /// Writes the order and everything that goes with it, inside the sale's transaction.
    private func placeOrder(
        _ reservation: Reservation, payment request: PaymentRequest, customer: CustomerDetails?,
        key: String, fingerprint: String, holdID: String?, settings: NodeSettings, presigned: [SignedTicketCode] = [],
        by actor: Operator
    ) throws -> Receipt {
        let category = reservation.category
        let unitPrice = request.method == .comp ? 0 : category.priceMinor
        let (total, overflow) = unitPrice.multipliedReportingOverflow(by: Int64(reservation.quantity))
        guard !overflow, total <= Tender.maxAmountMinor else {
            throw TicketingError.invalidInput("order total is too large")
        }
        let payment = try Tender.settle(
            request, total: Money(minor: total, currency: category.currency), settings: settings)
        let customerID = try customer.map { try Customers(node: node).upsert($0) }
        let orderID = node.ids.make(.order)
        let now = node.clock.now()
        try db.execute(
            """
            INSERT INTO orders (id, idempotency_key, request_fingerprint, event_id, category_code, customer_id, status,
                                total_minor, currency, hold_id, created_at, created_by)
            VALUES (?, ?, ?, ?, ?, ?, 'confirmed', ?, ?, ?, ?, ?)
            """,
            [
                orderID, key, fingerprint, reservation.event.id, category.code, customerID, total, category.currency,
                holdID,
                now.milliseconds, actor.id,
            ])
        let seats: [String?] =
            reservation.seats.isEmpty ? Array(repeating: nil, count: reservation.quantity) : reservation.seats
        let signer = try node.signingKeys.currentSigner(adopting: true)
        // Codes signed before the turn serve if the key is still the one in force.
        var ready = presigned.filter { $0.keyID == signer.keyID }
        var tickets = [OrderPlacedRecord.Ticket]()
        for seat in seats {
            let signed =
                ready.isEmpty
                ? signer.sign(serial: node.ids.ticketSerial(), eventID: reservation.event.id) : ready.removeFirst()
            let code = signed.shortCode
            try db.execute(
                """
                INSERT INTO ticket (code, order_id, event_id, category_code, seat_label, price_minor, status, key_id, signature)
                VALUES (?, ?, ?, ?, ?, ?, 'valid', ?, ?)
                """,
                [
                    code, orderID, reservation.event.id, category.code, seat, unitPrice, Int(signed.keyID),
                    signed.signature,
                ])
            tickets.append(.init(code: code, seat: seat, priceMinor: unitPrice, signedCode: signed.text))
        }
        let paymentID = node.ids.make(.payment)
        try db.execute(
            """
            INSERT INTO payment (id, order_id, method, amount_minor, currency, tendered_minor, change_minor, reference, status, created_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'captured', ?)
            """,
            [
                paymentID, orderID, payment.method.rawValue, payment.amountMinor, category.currency,
                payment.tenderedMinor,
                payment.changeMinor, payment.reference, now.milliseconds,
            ])
        let record = OrderPlacedRecord(
            orderID: orderID, nodeID: settings.nodeID, eventID: reservation.event.id, categoryCode: category.code,
            idempotencyKey: key, holdID: holdID,
            customer: customer.map { details in
                OrderPlacedRecord.Customer(
                    id: customerID ?? "", email: details.email, name: details.name, phone: details.phone)
            },
            tickets: tickets, totalMinor: total, currency: category.currency,
            payment: .init(
                id: paymentID, method: payment.method, amountMinor: payment.amountMinor,
                tenderedMinor: payment.tenderedMinor, changeMinor: payment.changeMinor, reference: payment.reference),
            createdAt: now, createdBy: actor.name, requestFingerprint: fingerprint)
        // The outbox record is the sale's audit trail (who, when, what, paid how); the order row
        // keeps who sold it too. No second copy goes to audit_log.
        try node.outbox.append(.orderPlaced, id: orderID, json: record.jsonText)
        let receipt = Receipt(
            placed: record, status: .confirmed, event: reservation.event, customerEmail: customer?.email)
        if customerID != nil {
            try NotificationQueue(node: node).enqueue(.orderConfirmed, orderID: orderID, receipt: receipt)
        }
        return receipt
    }

    /// The earlier order for `key`, if any. A key belongs to the user who gave it and to one
    /// request: under another user (`actor`, nil for a key the node made), another sale, or any
    /// other write of the API (``VenueNode/answerOnce(key:request:_:)``), it is refused.
    private func replay(key: String, fingerprint: String, by actor: Operator?, replayed: Bool = true) throws
        -> Receipt?
    {
        guard
            let row = try db.row(
                "SELECT id, request_fingerprint, created_by FROM orders WHERE idempotency_key = ?", [key])
        else {
            if try db.scalar("SELECT 1 FROM api_request WHERE idempotency_key = ?", [key], as: Int.self) != nil {
                throw Self.keyUsedElsewhere(key)
            }
            return nil
        }
        if let actor, try row.get("created_by", as: String.self) != actor.id {
            throw TicketingError.conflict(
                "idempotency key '\(key.prefix(40))' was used by another user; make a new key for each request")
        }
        guard try row.get("request_fingerprint", as: String.self) == fingerprint else {
            throw TicketingError.conflict("idempotency key '\(key.prefix(40))' was already used for a different sale")
        }
        return try Receipt.load(orderID: try row.get("id"), replayed: replayed, from: db)
    }

    /// A key given again for a request other than the one it was first given for.
    static func keyUsedElsewhere(_ key: String) -> TicketingError {
        TicketingError.conflict(
            "idempotency key '\(key.prefix(40))' was used for a different request; make a new key for each request")
    }

    static func validatedKey(_ key: String) throws -> String {
        guard (8...128).contains(key.count),
            key.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "-_.:".contains($0)) })
        else {
            throw TicketingError.invalidInput("idempotency key must be 8 to 128 letters, digits or - _ . :")
        }
        return key
    }

    /// A digest of everything that defines a sale, to tell a true retry from a reused key.
    static func fingerprint(_ request: SaleRequest, customer: CustomerDetails?) -> String {
        let selection =
            switch request.selection {
            case .quantity(let count): "q:\(count)"
            case .seats(let labels): "s:" + labels.sorted().joined(separator: ",")
            }
        // The fields' UTF-8 one after another, each after a unit separator (0x1F) but the first.
        var bytes = Array("sale/1".utf8)
        bytes.reserveCapacity(256)
        for field in [
            request.eventID, request.categoryCode, selection, request.payment.method.rawValue,
            request.payment.tenderedMinor.map(String.init) ?? "", request.payment.reference ?? "",
            request.payment.amountMinor.map(String.init) ?? "", customer?.email ?? "", customer?.name ?? "",
            customer?.phone ?? "",
        ] {
            bytes.append(0x1F)
            bytes.append(contentsOf: field.utf8)
        }
        return Hex.encode(SHA256.hash(bytes))
    }
}

extension VenueNode {
    /// Selling and confirming holds.
    public var sales: Sales { Sales(node: self) }
}
