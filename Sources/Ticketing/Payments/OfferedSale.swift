import EdgeStore
import SyncWire

/// A sale as one box-office process offers it to the process whose turn it is to write
/// (``Database/write(offering:_:answered:)``): everything the sale's transaction needs, checked
/// and decided before the offer (the key, the fingerprint, the validated customer, the seller),
/// in a few hundred bytes; and the answer back: the order's id, or the refusal.
struct OfferedSale: Equatable {
    var request: SaleRequest
    var customer: CustomerDetails?
    var key: String
    /// The cashier gave the key (a replay returns the first sale as `replayed`).
    var keyGiven: Bool
    var fingerprint: String
    var actor: Operator
    /// Its tickets' signed codes, made by the offering process before its turn (signing takes
    /// tens of microseconds a ticket, kept out of the writer's turn); the sale signs any it lacks.
    var presigned: [SignedTicketCode] = []

    /// 2: offers carry their tickets' signed codes, answers each ticket's. A holder hands back an
    /// offer of another format.
    private static let format: UInt8 = 2

    /// The sale as bytes for the mailbox.
    var encoded: [UInt8] {
        var out = ByteWriter()
        out.byte(Self.format)
        out.text(actor.id)
        out.text(actor.name)
        out.text(actor.role.rawValue)
        out.text(actor.sessionHash)
        out.text(request.eventID)
        out.text(request.categoryCode)
        switch request.selection {
        case .quantity(let count):
            out.byte(0)
            out.integer(Int64(count))
        case .seats(let labels):
            out.byte(1)
            out.integer(Int64(labels.count))
            for label in labels { out.text(label) }
        }
        out.text(request.payment.method.rawValue)
        out.integer(request.payment.tenderedMinor)
        out.text(request.payment.reference)
        out.integer(request.payment.amountMinor)
        out.byte(customer == nil ? 0 : 1)
        if let customer {
            out.text(customer.email)
            out.text(customer.name)
            out.text(customer.phone)
        }
        out.text(key)
        out.byte(keyGiven ? 1 : 0)
        out.text(fingerprint)
        out.integer(Int64(presigned.count))
        for code in presigned { out.text(code.text) }
        return out.bytes
    }

}

extension OfferedSale {
    /// Reads a sale that ``encoded`` wrote; throws on anything else. (In an extension, so that
    /// the memberwise initialiser stays.)
    init(decoding bytes: [UInt8]) throws {
        var input = ByteReader(bytes)
        guard try input.byte() == Self.format else { throw ByteReader.Malformed() }
        let id = try input.requiredText()
        let name = try input.requiredText()
        guard let role = Role(rawValue: try input.requiredText()) else { throw ByteReader.Malformed() }
        actor = Operator(id: id, name: name, role: role, sessionHash: try input.text())
        let eventID = try input.requiredText()
        let categoryCode = try input.requiredText()
        let selection: SeatSelection
        switch try input.byte() {
        case 0: selection = .quantity(Int(try input.requiredInteger()))
        case 1:
            let count = Int(try input.requiredInteger())
            guard (0...Int(UInt16.max)).contains(count) else { throw ByteReader.Malformed() }
            selection = .seats(try (0..<count).map { _ in try input.requiredText() })
        default: throw ByteReader.Malformed()
        }
        guard let method = PaymentMethod(rawValue: try input.requiredText()) else { throw ByteReader.Malformed() }
        let payment = PaymentRequest(
            method: method, tenderedMinor: try input.integer(), reference: try input.text(),
            amountMinor: try input.integer())
        customer =
            try input.byte() == 1
            ? CustomerDetails(email: try input.requiredText(), name: try input.text(), phone: try input.text()) : nil
        key = try input.requiredText()
        keyGiven = try input.byte() == 1
        fingerprint = try input.requiredText()
        let signed = Int(try input.requiredInteger())
        guard (0...Int(UInt16.max)).contains(signed) else { throw ByteReader.Malformed() }
        presigned = try (0..<signed).map { _ in
            guard case .signed(let code)? = try? TicketCode.read(try input.requiredText()) else {
                throw ByteReader.Malformed()
            }
            return code
        }
        request = SaleRequest(
            eventID: eventID, categoryCode: categoryCode, selection: selection, payment: payment, customer: customer,
            idempotencyKey: keyGiven ? key : nil)
        guard input.isAtEnd else { throw ByteReader.Malformed() }
    }

    /// The answer for a sale that was placed (or replayed): its receipt.
    static func answer(_ receipt: Receipt) -> [UInt8] {
        var out = ByteWriter()
        out.byte(receipt.replayed ? 1 : 0)
        out.text(receipt.orderID)
        out.text(receipt.status.rawValue)
        out.text(receipt.eventID)
        out.text(receipt.eventName)
        out.integer(receipt.eventStartsAt.milliseconds)
        out.text(receipt.timezone)
        out.text(receipt.category)
        out.text(receipt.customerEmail)
        out.integer(Int64(receipt.tickets.count))
        for ticket in receipt.tickets {
            out.text(ticket.code)
            out.text(ticket.seat)
            out.money(ticket.price)
            out.text(ticket.status.rawValue)
            out.text(ticket.signedCode)
        }
        out.money(receipt.total)
        let payment = receipt.payment
        out.text(payment.id)
        out.text(payment.method.rawValue)
        out.money(payment.amount)
        out.money(payment.tendered)
        out.money(payment.change)
        out.text(payment.reference)
        out.money(payment.refunded)
        out.text(payment.status.rawValue)
        out.text(receipt.idempotencyKey)
        out.integer(receipt.createdAt.milliseconds)
        return out.bytes
    }

    /// The answer for a sale refused: the error the cashier would have had, as its case, its
    /// code (a rejection's only) and its sentence.
    static func answer(refusal error: TicketingError) -> [UInt8] {
        var out = ByteWriter()
        out.byte(2)
        let (tag, code): (UInt8, String?) =
            switch error {
            case .invalidInput: (0, nil)
            case .notFound: (1, nil)
            case .soldOut: (2, nil)
            case .conflict: (3, nil)
            case .notLoggedIn: (4, nil)
            case .notPermitted: (5, nil)
            case .maintenance: (6, nil)
            case .rejected(let code, _): (7, code)
            }
        out.byte(tag)
        out.text(code)
        out.text(error.message)
        return out.bytes
    }

    /// The receipt an answer carries; throws the refusal it carries instead.
    static func receipt(from answer: [UInt8]) throws -> Receipt {
        var input = ByteReader(answer)
        let kind = try input.byte()
        guard kind == 2 else { return try receipt(replayed: kind == 1, from: &input) }
        let (tag, code, message) = (try input.byte(), try input.text(), try input.requiredText())
        switch (tag, code) {
        case (0, nil): throw TicketingError.invalidInput(message)
        case (1, nil): throw TicketingError.notFound(message)
        case (2, nil): throw TicketingError.soldOut(message)
        case (3, nil): throw TicketingError.conflict(message)
        case (4, nil): throw TicketingError.notLoggedIn(message)
        case (5, nil): throw TicketingError.notPermitted(message)
        case (6, nil): throw TicketingError.maintenance(message)
        case (7, let code?): throw TicketingError.rejected(code: code, message: message)
        default: throw ByteReader.Malformed()
        }
    }

    private static func receipt(replayed: Bool, from input: inout ByteReader) throws -> Receipt {
        func value<T: RawRepresentable<String>>(_ type: T.Type) throws -> T {
            guard let value = T(rawValue: try input.requiredText()) else { throw ByteReader.Malformed() }
            return value
        }
        let orderID = try input.requiredText()
        let status = try value(OrderStatus.self)
        let eventID = try input.requiredText()
        let eventName = try input.requiredText()
        let eventStartsAt = Timestamp(milliseconds: try input.requiredInteger())
        let timezone = try input.requiredText()
        let category = try input.requiredText()
        let customerEmail = try input.text()
        let count = try input.requiredInteger()
        guard (0...Int64(UInt16.max)).contains(count) else { throw ByteReader.Malformed() }
        let tickets = try (0..<count).map { _ in
            Receipt.Ticket(
                code: try input.requiredText(), seat: try input.text(), price: try input.requiredMoney(),
                status: try value(TicketStatus.self), signedCode: try input.text())
        }
        let total = try input.requiredMoney()
        let payment = Receipt.Payment(
            id: try input.requiredText(), method: try value(PaymentMethod.self), amount: try input.requiredMoney(),
            tendered: try input.money(), change: try input.money(), reference: try input.text(),
            refunded: try input.requiredMoney(), status: try value(PaymentStatus.self))
        let receipt = Receipt(
            orderID: orderID, status: status, eventID: eventID, eventName: eventName, eventStartsAt: eventStartsAt,
            timezone: timezone, category: category, customerEmail: customerEmail, tickets: tickets, total: total,
            payment: payment, idempotencyKey: try input.requiredText(),
            createdAt: Timestamp(milliseconds: try input.requiredInteger()), replayed: replayed)
        guard input.isAtEnd else { throw ByteReader.Malformed() }
        return receipt
    }
}
