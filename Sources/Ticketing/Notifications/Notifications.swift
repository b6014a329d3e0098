import EdgeStore
import FoundationEssentials
import Mail
import Printing
import SyncWire

/// A queued customer notification as listed.
public struct NotificationView: Sendable, Codable, Equatable {
    public let id: String
    public let kind: NotificationKind
    public let recipient: String
    public let orderID: String?
    public let status: NotificationStatus
    public let attempts: Int
    public let lastError: String?
    public let createdAt: Timestamp
}

/// What one run of the delivery worker did.
public struct DeliveryReport: Sendable, Codable, Equatable {
    /// Where the messages went (`smtp://relay:25 (starttls auto)`, `spool:DIR`…).
    public let transport: String
    public let delivered: Int
    public let retrying: Int
    public let failed: Int
}

/// Customer emails: queued with the change that causes them, delivered later by a worker
/// (`venue-syncd --mail`, or `boxoffice notifications send`) through a ``MailTransport``.
///
/// Each message keeps one Message-ID (`<notification id>@<node>.boxoffice.invalid`), so a message
/// handed over again after a crash (sent, but not yet marked sent) is recognisably the same one. A
/// transport that does not take a message is retried with capped backoff (30 s, doubling, at most
/// an hour apart) and the message marked failed after 8 attempts, or at once when the refusal is
/// permanent (a 5xx reply: an unknown recipient).
public struct Notifications {
    let node: VenueNode
    static let maxAttempts = 8
    /// When a notification is next due: the backoff on the boot clock, so that a step of the wall
    /// clock does not put a retry off by as much (``Deadline``).
    static let nextAttempt = Deadline.Column("next_attempt")

    /// Delivers up to `limit` due notifications through `transport`.
    public func deliver(via transport: any MailTransport, limit: Int = 500, by actor: Operator) throws -> DeliveryReport
    {
        try actor.require(.supervisor, to: "sending customer emails")
        let db = node.database
        let settings = try node.settings()
        let query = Self.nextAttempt.select(
            "*", from: "notification", where: "status = 'pending'", [], now: node.clock,
            then: "ORDER BY next_attempt_at, id LIMIT ?", [limit])
        let due = try db.rows(query.sql, query.arguments).map { try $0.decode(DueNotification.self) }
        try db.flushCommits()  // no customer is told of a sale a power cut could still undo
        var delivered = 0
        var retrying = 0
        var failed = 0
        for row in due {
            do {
                try transport.send(try Self.message(for: row, settings: settings))
                try db.write {
                    try db.execute(
                        "UPDATE notification SET status = 'sent', attempts = attempts + 1, sent_at = ?, last_error = NULL "
                            + "WHERE id = ? AND status = 'pending'", [node.clock.now().milliseconds, row.id])
                }
                delivered += 1
            } catch {
                let attempts = row.attempts + 1
                let giveUp = attempts >= Self.maxAttempts || (error as? MailError)?.isPermanent == true
                let backoff = min(3600, 30 << min(attempts - 1, 7))
                try db.write {
                    try db.execute(
                        """
                        UPDATE notification SET attempts = ?, last_error = ?, \(Self.nextAttempt.assignments), status = ?
                        WHERE id = ? AND status = 'pending'
                        """,
                        [attempts, String(describing: error).prefix(500).description]
                            + Deadline(after: Int64(backoff), on: node.clock).values
                            + [giveUp ? NotificationStatus.failed : .pending, row.id])
                }
                if giveUp { failed += 1 } else { retrying += 1 }
            }
        }
        return DeliveryReport(
            transport: transport.description, delivered: delivered, retrying: retrying, failed: failed)
    }

    /// Notifications by status (all when nil), newest first, at most `limit`.
    public func list(status: NotificationStatus?, limit: Int = 100, by actor: Operator) throws -> [NotificationView] {
        try actor.require(.supervisor, to: "listing customer emails")
        let rows =
            if let status {
                try node.database.rows(
                    "SELECT * FROM notification WHERE status = ? ORDER BY created_at DESC, id DESC LIMIT ?",
                    [status, limit])
            } else {
                try node.database.rows("SELECT * FROM notification ORDER BY created_at DESC, id DESC LIMIT ?", [limit])
            }
        return try rows.map { try $0.decode(NotificationView.self) }
    }

    /// Queues the order's tickets still valid (those refunded or voided left out) to its customer
    /// again, or to `email`; the email worker sends it. The order by its id or a ticket code. Any
    /// session to the customer's own address (the counter resends a lost email); another address
    /// needs a supervisor, as the tickets go to whoever holds it. An order with no valid ticket
    /// left is refused: there is nothing to send.
    public func resend(order reference: String, to email: String?, by actor: Operator) throws -> NotificationView {
        let email = try email.map { try Validation.email($0) }
        let order = try node.orders.details(reference).order
        let orderID = order.orderID
        if let email, email.lowercased() != order.customerEmail?.lowercased() {
            try actor.require(.supervisor, to: "sending an order's tickets to another address than its customer's")
        }
        guard order.tickets.contains(where: { $0.status.isLive }) else {
            throw TicketingError.rejected(
                code: "nothing_to_send",
                message: "order \(orderID) has no valid ticket left (every one was refunded or voided): nothing to send"
            )
        }
        return try node.database.write {
            guard
                let id = try NotificationQueue(node: node).enqueue(.orderConfirmed, orderID: orderID, recipient: email)
            else {
                throw TicketingError.rejected(
                    code: "no_recipient", message: "order \(orderID) has no customer email; give one to send it to")
            }
            try node.audit.record(
                "notification.resent", by: actor.name, entity: "order", id: orderID, detail: ["notification": id])
            return try node.database.row("SELECT * FROM notification WHERE id = ?", [id])!.decode(
                NotificationView.self)
        }
    }

    /// The email the first notification queued for `orderID` becomes, without sending it.
    func renderQueued(orderID: String) throws -> EmailMessage {
        guard
            let row = try node.database.row(
                "SELECT * FROM notification WHERE order_id = ? ORDER BY created_at, id LIMIT 1", [orderID])
        else { throw TicketingError.notFound("no notification queued for order \(orderID)") }
        return try Self.message(for: try row.decode(DueNotification.self), settings: try node.settings())
    }

    /// The email for one notification row: from the node's `mail_from`, to the customer by name.
    static func message(for row: DueNotification, settings: NodeSettings) throws -> EmailMessage {
        let payload = try JSONText.decode(NotificationPayload.self, from: row.payload)
        let (subject, body) = NotificationTemplates.render(row.kind, payload)
        guard let from = MailAddress(parsing: settings.mailFrom) else {
            throw MailError(
                "the node's mail_from '\(settings.mailFrom.prefix(60))' is not an address", permanent: false)
        }
        let domain = "\(settings.nodeID.lowercased()).boxoffice.invalid"
        let tickets = row.kind == .orderConfirmed ? try TicketImages.make(payload, id: row.id, domain: domain) : nil
        return EmailMessage(
            from: from, to: MailAddress(name: payload.customerName, address: row.recipient), subject: subject,
            body: body, date: Date(timeIntervalSince1970: Double(row.createdAt.milliseconds) / 1000),
            messageID: "\(row.id)@\(domain)", html: tickets?.html, images: tickets?.images ?? [])
    }
}

/// A notification due for delivery.
struct DueNotification: Decodable {
    let id: String
    let kind: NotificationKind
    let recipient: String
    let payload: String
    let attempts: Int
    let createdAt: Timestamp
}

/// The tickets of an order confirmation as the customer's email shows them: each live ticket's
/// QR code (the same as ``Orders/printable(_:)`` prints: level M, its signed code) as an inline
/// PNG, in an HTML version of the message.
enum TicketImages {
    static func make(_ payload: NotificationPayload, id: String, domain: String) throws
        -> (html: String, images: [EmailMessage.InlineImage])?
    {
        let live = payload.liveTickets
        guard !live.isEmpty else { return nil }
        var images = [EmailMessage.InlineImage]()
        var rows = ""
        for (index, ticket) in live.enumerated() {
            let symbol = try QRCode(encoding: ticket.signedCode ?? ticket.code, correction: TicketLayout.correction)
            let contentID = "ticket-\(index + 1).\(id)@\(domain)"
            images.append(
                .init(
                    contentID: contentID, filename: "ticket-\(ticket.code).png", png: PNGImage.qrCode(symbol, scale: 5))
            )
            rows += """
                <tr><td><img src="cid:\(contentID)" alt="QR code of ticket \(ticket.code)" width="\((symbol.size + 8) * 5)"></td>
                <td><p><b>\(html(ticket.code))</b></p><p>\(html(payload.category))\(ticket.seat.map { " seat " + html($0) } ?? "")</p>\
                <p>\(html(ticket.price.description))</p></td></tr>

                """
        }
        let when = "\(payload.venueName), \(payload.eventStartsAt.local(in: payload.venueTimezone ?? "UTC"))"
        let page = """
            <!DOCTYPE html>
            <html><body style="font-family: sans-serif">
            <p>Thank you for your order \(html(payload.orderID)).</p>
            <h2>\(html(payload.eventName))</h2><p>\(html(when))</p>
            <table>
            \(rows)</table>
            <p>Total: \(html(payload.liveTotal.description))</p>
            <p>Show the QR code of each ticket at the door, on your phone or printed.</p>
            </body></html>
            """
        return (page, images)
    }

    static func html(_ text: String) -> String {
        var out = ""
        for character in text {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            default: out.append(character)
            }
        }
        return out
    }
}

/// The words of each message.
enum NotificationTemplates {
    static func render(_ kind: NotificationKind, _ payload: NotificationPayload) -> (subject: String, body: String) {
        let when = "\(payload.venueName), \(payload.eventStartsAt.local(in: payload.venueTimezone ?? "UTC"))"
        switch kind {
        case .orderConfirmed:
            let lines = payload.liveTickets.map { ticket in
                "  \(ticket.code)  \(payload.category)\(ticket.seat.map { " seat \($0)" } ?? "")  \(ticket.price)"
            }
            return (
                "Your tickets for \(payload.eventName)",
                ([
                    "Thank you for your order \(payload.orderID).", "", payload.eventName, when, "", "Tickets:",
                ] + lines + [
                    "", "Total: \(payload.liveTotal)", "",
                    "Show each ticket's QR code (in this email) or its code at the door.",
                ]).joined(
                    separator: "\n")
            )
        case .orderRefunded:
            return (
                "Refund for order \(payload.orderID)",
                [
                    "We have refunded \(payload.refund.map(\.description) ?? "your payment") for order \(payload.orderID)",
                    "(\(payload.eventName), \(when)).", "", "Reason: \(payload.reason ?? "-")",
                ].joined(separator: "\n")
            )
        case .refundOrdered:
            return (
                "Your order \(payload.orderID) will be refunded",
                [
                    "We are sorry: some tickets of your order \(payload.orderID) for \(payload.eventName) (\(when)) cannot be honoured.",
                    "", "Reason: \(payload.reason ?? "-")", "",
                    "They will be refunded (\(payload.refund.map(\.description) ?? "in full")); those tickets are no longer valid.",
                ].joined(separator: "\n")
            )
        case .eventCancelled:
            return (
                "\(payload.eventName) is cancelled",
                [
                    "We are sorry: \(payload.eventName) (\(when)) is cancelled.", "",
                    "Reason: \(payload.reason ?? "-")", "",
                    "Your order \(payload.orderID) will be refunded; your tickets are no longer valid.",
                ].joined(separator: "\n")
            )
        }
    }
}

extension VenueNode {
    /// The customer notification worker.
    public var notifications: Notifications { Notifications(node: self) }
}
