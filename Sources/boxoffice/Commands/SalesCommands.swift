import CLIKit
import SyncWire
import Ticketing

struct Sell: ParsableCommand {
    static let configuration = CommandConfiguration(
        name: "sell", abstract: "Sell tickets and take payment in one step; prints the receipt.",
        usage: "EVENT --category C (--qty N | --seat SEAT...) --payment cash|card|comp [options]",
        arguments: [CommonOptions.event], options: CommonOptions.selection + CommonOptions.payment)

    let context: Context
    let request: SaleRequest

    init(_ arguments: ParsedArguments) throws {
        context = try Context(arguments)
        request = SaleRequest(
            eventID: try arguments.required(CommonOptions.event),
            categoryCode: try arguments.required(CommonOptions.category),
            selection: try CommonOptions.selection(arguments), payment: try CommonOptions.payment(arguments),
            customer: try CommonOptions.customer(arguments),
            idempotencyKey: try arguments.value(CommonOptions.idempotencyKey))
    }

    func run() throws {
        let (node, actor) = try context.signedIn()
        context.output.emit(try node.sales.sell(request, by: actor), text: ReceiptText.render)
    }
}

struct Hold: ParsableCommand {
    static let ttl = TypedOption.seconds(
        "--ttl", in: 1...86_400, help: "How long, e.g. 90s, 10m, 2h (default: the node's, 10m).")
    static let configuration = CommandConfiguration(
        name: "hold",
        abstract: "Hold tickets for a while without payment; they return by themselves when the hold expires.",
        usage: "EVENT --category C (--qty N | --seat SEAT...) [--ttl 10m]",
        arguments: [CommonOptions.event], options: CommonOptions.selection + [ttl])

    let context: Context
    let request: HoldRequest

    init(_ arguments: ParsedArguments) throws {
        context = try Context(arguments)
        request = HoldRequest(
            eventID: try arguments.required(CommonOptions.event),
            categoryCode: try arguments.required(CommonOptions.category),
            selection: try CommonOptions.selection(arguments), ttlSeconds: try arguments.value(Self.ttl))
    }

    func run() throws {
        let (node, actor) = try context.signedIn()
        context.output.emit(try node.inventory.hold(request, by: actor), text: HoldText.render)
    }
}

struct Confirm: ParsableCommand {
    static let hold = TypedArgument("HOLD", help: "The hold id.")
    static let configuration = CommandConfiguration(
        name: "confirm", abstract: "Pay for a hold and turn it into an order.",
        usage: "HOLD --payment cash|card|comp [options]", arguments: [hold], options: CommonOptions.payment)

    let context: Context
    let holdID: String
    let payment: PaymentRequest
    let customer: CustomerDetails?
    let idempotencyKey: String?

    init(_ arguments: ParsedArguments) throws {
        context = try Context(arguments)
        holdID = try arguments.required(Self.hold)
        payment = try CommonOptions.payment(arguments)
        customer = try CommonOptions.customer(arguments)
        idempotencyKey = try arguments.value(CommonOptions.idempotencyKey)
    }

    func run() throws {
        let (node, actor) = try context.signedIn()
        context.output.emit(
            try node.sales.confirm(
                holdID: holdID, payment: payment, customer: customer, idempotencyKey: idempotencyKey,
                by: actor), text: ReceiptText.render)
    }
}

struct Release: ParsableCommand {
    static let configuration = CommandConfiguration(
        name: "release", abstract: "Give a hold's tickets back now.", arguments: [Confirm.hold])

    let context: Context
    let holdID: String

    init(_ arguments: ParsedArguments) throws {
        context = try Context(arguments)
        holdID = try arguments.required(Confirm.hold)
    }

    func run() throws {
        let (node, actor) = try context.signedIn()
        context.output.emit(try node.inventory.release(holdID: holdID, by: actor), text: HoldText.render)
    }
}

struct Refund: ParsableCommand {
    static let order = TypedArgument("ORDER", help: "The order id.")
    static let tickets = ListOption("--ticket", "CODE", help: "Only these tickets (default: every valid ticket).")
    static let reason = TypedOption.text(
        "--reason", "TEXT", required: true, help: "Why; recorded and told to the customer.")
    static let configuration = CommandConfiguration(
        name: "refund", abstract: "Refund an order or some of its tickets, or pay out its queued refund (supervisors).",
        arguments: [order], options: [tickets, reason])

    let context: Context
    let orderID: String
    let ticketCodes: [String]?
    let reason: String

    init(_ arguments: ParsedArguments) throws {
        context = try Context(arguments)
        orderID = try arguments.required(Self.order)
        let codes = arguments.values(Self.tickets)
        ticketCodes = codes.isEmpty ? nil : codes
        reason = try arguments.required(Self.reason)
    }

    func run() throws {
        let (node, actor) = try context.signedIn()
        let receipt = try node.refunds.refund(orderID: orderID, ticketCodes: ticketCodes, reason: reason, by: actor)
        context.output.emit(receipt) {
            "Refund \($0.refundID) \($0.status): \($0.amount) by \($0.method.rawValue) for \($0.tickets.count) ticket(s) of order "
                + "\($0.orderID) (order now \($0.orderStatus)).\n"
                + $0.tickets.map { "  \($0)" }.joined(separator: "\n")
        }
    }
}

struct OrderCommand: ParsableCommand {
    static let order = TypedArgument("ORDER", help: "Order id or ticket code.")
    static let configuration = CommandConfiguration(
        name: "order", abstract: "Show an order, by its id or one of its ticket codes.",
        arguments: [order])

    let context: Context
    let reference: String

    init(_ arguments: ParsedArguments) throws {
        context = try Context(arguments)
        reference = try arguments.required(Self.order)
    }

    func run() throws {
        let (node, _) = try context.signedIn()
        let details = try node.orders.details(reference)
        context.output.emit(details) { details in
            var text = ReceiptText.render(details.order)
            if let name = details.customerName { text += "\nName:     \(name)" }
            if let phone = details.customerPhone { text += "\nPhone:    \(phone)" }
            for refund in details.refunds {
                text +=
                    "\nRefund \(refund.refundID) \(refund.status): \(refund.amount) (\(refund.origin)) \(refund.reason)"
            }
            return text
        }
    }
}

struct Lookup: ParsableCommand {
    static let text = TypedArgument("TEXT", help: "At least 3 characters.")
    static let configuration = CommandConfiguration(
        name: "lookup", abstract: "Find orders by id, ticket code, customer email, name or phone.",
        arguments: [text])

    let context: Context
    let text: String

    init(_ arguments: ParsedArguments) throws {
        context = try Context(arguments)
        text = try arguments.required(Self.text)
    }

    func run() throws {
        let (node, _) = try context.signedIn()
        let hits = try node.orders.lookup(text)
        context.output.emit(hits) { hits in
            hits.isEmpty
                ? "No orders found."
                : TextTable.render(
                    ["ORDER", "EVENT", "STATUS", "TICKETS", "TOTAL", "CUSTOMER"],
                    hits.map {
                        [
                            $0.orderID, $0.eventID, $0.status.rawValue, String($0.tickets), $0.total.description,
                            $0.customerEmail ?? "-",
                        ]
                    })
        }
    }
}

enum ReceiptText {
    static func render(_ receipt: Receipt) -> String {
        var lines = [
            "Order \(receipt.orderID) \(receipt.status)"
                + (receipt.replayed ? " (repeated request: the original sale, not charged again)" : ""),
            "Event:    \(receipt.eventID)  \(receipt.eventName), \(receipt.eventStartsAt.local(in: receipt.timezone))",
            "Category: \(receipt.category)  \(receipt.tickets.count) ticket(s)",
        ]
        lines += receipt.tickets.map {
            "  \($0.code)  \($0.seat ?? "GA")  \($0.price)\($0.status == .valid ? "" : "  [\($0.status.rawValue)]")"
        }
        lines.append("Total:    \(receipt.total)")
        let payment = receipt.payment
        var paid = "Paid:     \(payment.method.rawValue) \(payment.amount)"
        if let tendered = payment.tendered, let change = payment.change {
            paid += ", tendered \(tendered), change \(change)"
        }
        if let reference = payment.reference { paid += ", reference \(reference)" }
        lines.append(paid)
        if payment.refunded.minor > 0 { lines.append("Refunded: \(payment.refunded)") }
        if let email = receipt.customerEmail { lines.append("Customer: \(email)") }
        return lines.joined(separator: "\n")
    }
}

enum HoldText {
    static func render(_ hold: HoldReceipt) -> String {
        var text = "Hold \(hold.holdID) \(hold.status): \(hold.quantity) × \(hold.eventID) \(hold.category)"
        if !hold.seats.isEmpty { text += " (\(hold.seats.joined(separator: ", ")))" }
        text += hold.status == .active ? ", expires \(hold.expiresAt.local(in: hold.timezone))" : ""
        if let order = hold.orderID { text += ", order \(order)" }
        return text
    }
}
