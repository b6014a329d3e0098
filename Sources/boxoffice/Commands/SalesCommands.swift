import CLIKit
import SyncWire
import Ticketing

struct Sell: ParsableCommand {
    static let configuration = CommandConfiguration(
        name: "sell", abstract: "Sell tickets and take payment in one step; prints the receipt.",
        usage: "EVENT --category C (--qty N | --seat SEAT...) --payment cash|card|comp [options]",
        arguments: [Argument("EVENT", help: "The event id.")],
        options: CommonOptions.selection + CommonOptions.payment)

    static func run(_ arguments: ParsedArguments) throws {
        let context = Context(arguments)
        let request = SaleRequest(eventID: try arguments.requiredArgument("EVENT"), categoryCode: try arguments.required("--category"),
                                  selection: try CommonOptions.selection(arguments), payment: try CommonOptions.payment(arguments),
                                  customer: try CommonOptions.customer(arguments), idempotencyKey: arguments.value("--idempotency-key"))
        let (node, actor) = try context.signedIn()
        context.output.emit(try node.sales.sell(request, by: actor), text: ReceiptText.render)
    }
}

struct Hold: ParsableCommand {
    static let configuration = CommandConfiguration(
        name: "hold", abstract: "Hold tickets for a while without payment; they return by themselves when the hold expires.",
        usage: "EVENT --category C (--qty N | --seat SEAT...) [--ttl 10m]",
        arguments: [Argument("EVENT", help: "The event id.")],
        options: CommonOptions.selection + [.value("--ttl", "DURATION", help: "How long, e.g. 90s, 10m, 2h (default: the node's, 10m).")])

    static func run(_ arguments: ParsedArguments) throws {
        let context = Context(arguments)
        let ttl = try arguments.value("--ttl").map { text in
            guard let seconds = DurationText.seconds(text) else {
                throw UsageError("--ttl must be a duration like 90s, 10m or 2h, not '\(text.prefix(20))'")
            }
            return seconds
        }
        let request = HoldRequest(eventID: try arguments.requiredArgument("EVENT"), categoryCode: try arguments.required("--category"),
                                  selection: try CommonOptions.selection(arguments), ttlSeconds: ttl)
        let (node, actor) = try context.signedIn()
        context.output.emit(try node.inventory.hold(request, by: actor), text: HoldText.render)
    }
}

struct Confirm: ParsableCommand {
    static let configuration = CommandConfiguration(
        name: "confirm", abstract: "Pay for a hold and turn it into an order.",
        usage: "HOLD --payment cash|card|comp [options]",
        arguments: [Argument("HOLD", help: "The hold id.")],
        options: CommonOptions.payment)

    static func run(_ arguments: ParsedArguments) throws {
        let context = Context(arguments)
        let hold = try arguments.requiredArgument("HOLD")
        let payment = try CommonOptions.payment(arguments)
        let customer = try CommonOptions.customer(arguments)
        let (node, actor) = try context.signedIn()
        context.output.emit(try node.sales.confirm(holdID: hold, payment: payment, customer: customer,
                                                   idempotencyKey: arguments.value("--idempotency-key"), by: actor),
                            text: ReceiptText.render)
    }
}

struct Release: ParsableCommand {
    static let configuration = CommandConfiguration(
        name: "release", abstract: "Give a hold's tickets back now.", arguments: [Argument("HOLD", help: "The hold id.")])

    static func run(_ arguments: ParsedArguments) throws {
        let context = Context(arguments)
        let (node, actor) = try context.signedIn()
        context.output.emit(try node.inventory.release(holdID: try arguments.requiredArgument("HOLD"), by: actor), text: HoldText.render)
    }
}

struct Refund: ParsableCommand {
    static let configuration = CommandConfiguration(
        name: "refund", abstract: "Refund an order or some of its tickets, or pay out its queued refund (supervisors).",
        arguments: [Argument("ORDER", help: "The order id.")],
        options: [.values("--ticket", "CODE", help: "Only these tickets (default: every valid ticket)."),
                  .value("--reason", "TEXT", required: true, help: "Why; recorded and told to the customer.")])

    static func run(_ arguments: ParsedArguments) throws {
        let context = Context(arguments)
        let tickets = arguments.values("--ticket")
        let (node, actor) = try context.signedIn()
        let receipt = try node.refunds.refund(orderID: try arguments.requiredArgument("ORDER"), ticketCodes: tickets.isEmpty ? nil : tickets,
                                              reason: try arguments.required("--reason"), by: actor)
        context.output.emit(receipt) {
            "Refund \($0.refundID) \($0.status): \($0.amount) by \($0.method.rawValue) for \($0.tickets.count) ticket(s) of order "
                + "\($0.orderID) (order now \($0.orderStatus)).\n" + $0.tickets.map { "  \($0)" }.joined(separator: "\n")
        }
    }
}

struct OrderCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        name: "order", abstract: "Show an order, by its id or one of its ticket codes.",
        arguments: [Argument("ORDER", help: "Order id or ticket code.")])

    static func run(_ arguments: ParsedArguments) throws {
        let context = Context(arguments)
        let (node, _) = try context.signedIn()
        let details = try node.orders.details(try arguments.requiredArgument("ORDER"))
        context.output.emit(details) { details in
            var text = ReceiptText.render(details.order)
            if let name = details.customerName { text += "\nName:     \(name)" }
            if let phone = details.customerPhone { text += "\nPhone:    \(phone)" }
            for refund in details.refunds {
                text += "\nRefund \(refund.refundID) \(refund.status): \(refund.amount) (\(refund.origin)) \(refund.reason)"
            }
            return text
        }
    }
}

struct Lookup: ParsableCommand {
    static let configuration = CommandConfiguration(
        name: "lookup", abstract: "Find orders by id, ticket code, customer email, name or phone.",
        arguments: [Argument("TEXT", help: "At least 3 characters.")])

    static func run(_ arguments: ParsedArguments) throws {
        let context = Context(arguments)
        let (node, _) = try context.signedIn()
        let hits = try node.orders.lookup(try arguments.requiredArgument("TEXT"))
        context.output.emit(hits) { hits in
            hits.isEmpty ? "No orders found." : TextTable.render(
                ["ORDER", "EVENT", "STATUS", "TICKETS", "TOTAL", "CUSTOMER"],
                hits.map { [$0.orderID, $0.eventID, $0.status, String($0.tickets), $0.total.description, $0.customerEmail ?? "-"] })
        }
    }
}

struct CheckIn: ParsableCommand {
    static let configuration = CommandConfiguration(
        name: "checkin", abstract: "Let a ticket in at the door (once).", arguments: [Argument("CODE", help: "The ticket code.")])

    static func run(_ arguments: ParsedArguments) throws {
        let context = Context(arguments)
        let (node, actor) = try context.signedIn()
        let result = try node.inventory.checkIn(code: try arguments.requiredArgument("CODE"), by: actor)
        context.output.emit(result) { "Welcome: \($0.ticketCode) \($0.eventID) \($0.category)\($0.seat.map { " seat \($0)" } ?? "")." }
    }
}

enum ReceiptText {
    static func render(_ receipt: Receipt) -> String {
        var lines = ["Order \(receipt.orderID) \(receipt.status)" + (receipt.replayed ? " (repeated request: the original sale, not charged again)" : ""),
                     "Event:    \(receipt.eventID)  \(receipt.eventName)",
                     "Category: \(receipt.category)  \(receipt.tickets.count) ticket(s)"]
        lines += receipt.tickets.map { "  \($0.code)  \($0.seat ?? "GA")  \($0.price)\($0.status == "valid" ? "" : "  [\($0.status)]")" }
        lines.append("Total:    \(receipt.total)")
        let payment = receipt.payment
        var paid = "Paid:     \(payment.method.rawValue) \(payment.amount)"
        if let tendered = payment.tendered, let change = payment.change { paid += ", tendered \(tendered), change \(change)" }
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
        text += hold.status == "active" ? ", expires \(hold.expiresAt)" : ""
        if let order = hold.orderID { text += ", order \(order)" }
        return text
    }
}
