import EdgeStore
import Printing
import SyncWire

extension Orders {
    /// The tickets of an order (by its id or one of its ticket codes) as they are printed: the
    /// event, the venue's local start time, seat or category, price, order, short code, and the
    /// signed code for the QR (a ticket sold before signing carries its short code there). A
    /// refunded or voided ticket is stamped so, without a QR code: nothing on it scans.
    public func printable(_ reference: String) throws -> [PrintedTicket] {
        let details = try details(reference)
        let order = details.order
        return try db.read {
            let venue: String =
                try db.scalar(
                    "SELECT v.name FROM event e JOIN venue v ON v.id = e.venue_id WHERE e.id = ?", [order.eventID])
                ?? ""
            let category: String =
                try db.scalar(
                    "SELECT name FROM price_category WHERE event_id = ? AND code = ?", [order.eventID, order.category])
                ?? order.category
            return order.tickets.map { ticket in
                let taken = ticket.status == .refunded || ticket.status == .void
                return PrintedTicket(
                    venue: venue, event: order.eventName, startsAt: order.eventStartsAt.local(in: order.timezone),
                    category: category, seat: ticket.seat, price: ticket.price.description, orderID: order.orderID,
                    shortCode: ticket.code, qrContent: taken ? nil : ticket.signedCode ?? ticket.code,
                    stamp: taken ? ticket.status.rawValue.uppercased() : nil)
            }
        }
    }

    /// What the QR code of this node's ticket `code` carries, as its printed ticket's does: the
    /// signed code, or the short code of a ticket sold before signing. `code` is a short code
    /// as typed (or a signed code); anything else, or another node's ticket, is not found; a
    /// refunded or voided ticket has none (`ticket_not_valid`).
    public func qrContent(ofTicket code: String) throws -> String {
        guard let shortCode = Identifiers.normalizedTicketCode(code),
            try db.read({ try db.scalar("SELECT 1 FROM ticket WHERE code = ?", [shortCode]) as Int? }) != nil,
            let ticket = try printable(shortCode).first(where: { $0.shortCode == shortCode })
        else {
            throw TicketingError.notFound("no ticket '\(code.prefix(40))' sold at this node")
        }
        guard let content = ticket.qrContent else {
            throw TicketingError.rejected(
                code: "ticket_not_valid",
                message: "ticket \(shortCode) is \(ticket.stamp?.lowercased() ?? "not valid"): it has no QR code")
        }
        return content
    }
}
