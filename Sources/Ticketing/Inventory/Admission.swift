import EdgeStore
import SyncWire

/// A ticket let in at the door.
public struct CheckInResult: Sendable, Codable, Equatable {
    public let ticketCode: String
    public let orderID: String
    public let eventID: String
    public let category: String
    public let seat: String?
    public let checkedInAt: Timestamp
}

extension Inventory {
    /// Checks a ticket in at the door: once only, valid tickets only, not for cancelled events.
    public func checkIn(code: String, by actor: Operator) throws -> CheckInResult {
        guard let code = Identifiers.normalizedTicketCode(code) else {
            throw TicketingError.invalidInput(
                "'\(code.prefix(40))' is not a ticket code (16 characters, like K7QX-3M9D-PA2F-W8ZR)")
        }
        return try db.write {
            guard
                let ticket = try db.row(
                    """
                    SELECT t.*, e.status AS event_status, v.timezone FROM ticket t JOIN event e ON e.id = t.event_id
                    JOIN venue v ON v.id = e.venue_id WHERE t.code = ?
                    """, [code])?.decode(AdmittedTicket.self)
            else {
                throw TicketingError.notFound("no ticket \(code)")
            }
            guard ticket.eventStatus != .cancelled else {
                throw TicketingError.rejected(
                    code: "event_cancelled", message: "ticket \(code) is for a cancelled event")
            }
            switch ticket.status {
            case .valid: break
            case .checkedIn:
                throw TicketingError.rejected(
                    code: "already_checked_in",
                    message:
                        "ticket \(code) was already checked in at "
                        + (ticket.checkedInAt.map { $0.local(in: ticket.timezone) } ?? "an unknown time")
                )
            case .refunded, .void:
                throw TicketingError.rejected(
                    code: "ticket_not_valid", message: "ticket \(code) is \(ticket.status), not valid for entry")
            }
            let now = node.clock.now()
            try db.execute(
                "UPDATE ticket SET status = 'checked_in', checked_in_at = ? WHERE code = ? AND status = 'valid'",
                [now.milliseconds, code])
            let result = CheckInResult(
                ticketCode: code, orderID: ticket.orderID, eventID: ticket.eventID, category: ticket.categoryCode,
                seat: ticket.seatLabel, checkedInAt: now)
            try node.outbox.append(
                .ticketCheckedIn, id: code,
                payload: CheckInRecord(
                    ticketCode: code, orderID: result.orderID, eventID: result.eventID,
                    nodeID: try node.settings().nodeID,
                    checkedInAt: now, actor: actor.name))
            try node.audit.record("ticket.checked_in", by: actor.name, entity: "ticket", id: code)
            return result
        }
    }
}

/// A ticket at the door, with its event's status.
private struct AdmittedTicket: Decodable {
    let orderID: String
    let eventID: String
    let categoryCode: String
    let seatLabel: String?
    let status: TicketStatus
    let checkedInAt: Timestamp?
    let eventStatus: EventStatus
    /// The event's venue's zone, in which people read `checkedInAt`.
    let timezone: String
}
