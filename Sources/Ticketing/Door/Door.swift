import EdgeStore
import SyncWire

/// A ticket let in at the door.
public struct CheckInResult: Sendable, Codable, Equatable {
    /// The short code.
    public let ticketCode: String
    /// The order, for a ticket this node sold (a door knows only the code of another node's).
    public let orderID: String?
    public let eventID: String
    public let eventName: String
    public let eventStartsAt: Timestamp
    /// The venue's IANA zone.
    public let timezone: String
    /// Category and seat, when this node knows them (its own sale, or a ticket central vouched for).
    public let category: String?
    public let seat: String?
    /// The node that sold it.
    public let soldBy: String
    /// The node whose door let it in (this one), and its gate.
    public let nodeID: String
    public let gate: String?
    public let checkedInAt: Timestamp
    /// How the door knew the ticket: `signature` (its signed code), `sale` (this node sold it),
    /// or `vouched` (central's list).
    public let verifiedBy: String
}

/// The door: check-in of any ticket of the venue at this node, by its signed code (verified with
/// its seller's public key, no look-up of the ticket) or its short code (this node's own sale,
/// or a ticket central vouched for), refusing what was let in anywhere the node has heard of,
/// refunded, voided, cancelled, for another event or day, or forged.
public struct Door {
    let node: VenueNode
    var db: Database { node.database }

    /// Lets a ticket in once, at `gate` (any name the venue uses, up to 40 characters) for
    /// `eventID` (when given, only that event's tickets; when not, those of an event whose doors
    /// are open: ``DoorWindow``). Works with central unreachable: the signature, and the keys,
    /// admissions and revocations last pulled, decide.
    public func checkIn(code: String, gate: String? = nil, eventID: String? = nil, by actor: Operator) throws
        -> CheckInResult
    {
        let gate = try gate.map { try Validation.text($0, field: "gate", maxLength: 40) }
        let reading = try Self.read(code)
        return try db.write {
            let ticket = try identify(reading)
            if let refusal = ticket.revokedKey { throw refusal }
            let nodeID = try node.settings().nodeID
            let event = try event(of: ticket, gateEvent: eventID)
            try refuseIfTaken(ticket, event: event)
            let now = node.clock.now()
            try db.execute(
                """
                INSERT INTO door_admission (ticket_code, event_id, node_id, gate, source, admitted_at)
                VALUES (?, ?, ?, ?, 'door', ?)
                """, [ticket.code, event.id, nodeID, gate, now.milliseconds])
            if ticket.own != nil {
                try db.execute(
                    "UPDATE ticket SET status = 'checked_in', checked_in_at = ? WHERE code = ? AND status = 'valid'",
                    [now.milliseconds, ticket.code])
            }
            try node.outbox.append(
                .ticketCheckedIn, id: ticket.code,
                payload: CheckInRecord(
                    ticketCode: ticket.code, orderID: ticket.own?.orderID, eventID: event.id, nodeID: nodeID,
                    checkedInAt: now, actor: actor.name, gate: gate, source: nil))
            try node.audit.record(
                "ticket.checked_in", by: actor.name, entity: "ticket", id: ticket.code,
                detail: gate.map { ["gate": $0] } ?? [:])
            return CheckInResult(
                ticketCode: ticket.code, orderID: ticket.own?.orderID, eventID: event.id, eventName: event.name,
                eventStartsAt: event.startsAt, timezone: event.timezone,
                category: ticket.own?.categoryCode ?? ticket.vouched?.categoryCode,
                seat: ticket.own?.seatLabel ?? ticket.vouched?.seatLabel, soldBy: ticket.soldBy, nodeID: nodeID,
                gate: gate, checkedInAt: now, verifiedBy: ticket.verifiedBy)
        }
    }

    /// `code` read as either form, without the spaces, tabs and line ends around it (what a
    /// keyboard-wedge scanner or a paste adds): a mistyped signed code is refused
    /// (`code_mistyped`), text that is neither form is bad input.
    static func read(_ code: String) throws -> TicketCode.Reading {
        var text = Substring(code)
        while text.first?.isWhitespace == true { text.removeFirst() }
        while text.last?.isWhitespace == true { text.removeLast() }
        do {
            return try TicketCode.read(String(text))
        } catch {
            if error.message.contains("check character") {
                throw TicketingError.rejected(code: "code_mistyped", message: error.message)
            }
            throw TicketingError.invalidInput(error.message)
        }
    }

    /// A ticket as the door found it.
    struct Identified {
        let code: String
        /// The event tag of a signed code (nil for a short code).
        let signed: SignedTicketCode?
        let own: OwnTicket?
        let vouched: VouchedTicket?
        let soldBy: String
        let verifiedBy: String
        /// Set when its key is revoked and nothing vouches for it: why a door refuses it
        /// (`key_revoked`). An offline scanner that let it in is still recorded.
        var revokedKey: TicketingError? = nil
    }

    /// Who vouches for the ticket: a valid signature of a key not revoked (or revoked, for a
    /// ticket central listed as sold before the cut), this node's own sale, or central's list.
    /// A ticket whose key is revoked and that nothing vouches for is returned with
    /// ``Identified/revokedKey`` set.
    func identify(_ reading: TicketCode.Reading) throws -> Identified {
        switch reading {
        case .signed(let signed):
            let code = signed.shortCode
            let own = try ownTicket(code)
            let vouched = try vouchedTicket(code)
            let keys = try db.rows(
                "SELECT public_key, node_id, revoked_after, revoked_reason FROM signing_key WHERE key_id = ?",
                [Int(signed.keyID)]
            ).map { row in
                KeyRow(
                    publicKey: try row.get("public_key"), nodeID: try row.get("node_id"),
                    revokedAfter: try row.get("revoked_after"), revokedReason: try row.get("revoked_reason"))
            }
            guard let key = keys.first(where: { signed.isSigned(by: $0.publicKey) }) else {
                throw keys.isEmpty
                    ? TicketingError.rejected(
                        code: "unknown_key",
                        message:
                            "ticket \(code) is signed by a key this node does not know (a node it has not heard of "
                            + "through central yet?); its seller's node can check it in")
                    : TicketingError.rejected(
                        code: "forged", message: "ticket \(code) is forged: its signature is not its key's")
            }
            var revoked: TicketingError?
            if let revokedAfter = key.revokedAfter, own == nil, vouched?.reason != .revokedKey {
                revoked = TicketingError.rejected(
                    code: "key_revoked",
                    message: "ticket \(code) is signed by \(key.nodeID)'s key \(signed.keyID), revoked from "
                        + "\(revokedAfter) (\(key.revokedReason ?? "no reason given")), and is not among that key's "
                        + "tickets central received before then, as this node last heard")
            }
            return Identified(
                code: code, signed: signed, own: own, vouched: vouched, soldBy: key.nodeID, verifiedBy: "signature",
                revokedKey: revoked)
        case .short(let code):
            if let own = try ownTicket(code) {
                return Identified(
                    code: code, signed: nil, own: own, vouched: nil, soldBy: try node.settings().nodeID,
                    verifiedBy: "sale")
            }
            if let vouched = try vouchedTicket(code) {
                return Identified(
                    code: code, signed: nil, own: nil, vouched: vouched, soldBy: vouched.nodeID, verifiedBy: "vouched")
            }
            try refuseIfTakenElsewhere(code)
            throw TicketingError.notFound(
                "no ticket \(code) at this node: a ticket another node sold is checked in here by scanning its QR "
                    + "code, or by this code at the node that sold it")
        }
    }

    /// For a short code this node cannot take (another node's sale): refuses it as what this node
    /// heard of it — refunded or voided at its seller, or let in somewhere — rather than as unknown.
    private func refuseIfTakenElsewhere(_ code: String) throws {
        if let revoked = try db.row("SELECT status, node_id FROM door_revocation WHERE ticket_code = ?", [code]) {
            throw TicketingError.rejected(
                code: "ticket_not_valid",
                message: "ticket \(code) is \(try revoked.get("status", as: TicketStatus.self)) (at "
                    + "\(try revoked.get("node_id", as: String.self))), not valid for entry")
        }
        if let admitted = try db.row(
            "SELECT node_id, gate, admitted_at, event_id FROM door_admission WHERE ticket_code = ?", [code]),
            let event = try? node.inventory.eventState(try admitted.get("event_id"))
        {
            let row = try admitted.decode(AdmittedRow.self)
            throw alreadyCheckedIn(code, at: row.admittedAt, gate: row.gate, node: row.nodeID, event: event)
        }
    }

    /// The event the ticket is for, checked against the gate's event or the door window.
    private func event(of ticket: Identified, gateEvent: String?) throws -> EventState {
        let candidates: [String]
        if let eventID = ticket.own?.eventID ?? ticket.vouched?.eventID {
            if let signed = ticket.signed, !signed.names(eventID: eventID) {
                throw TicketingError.rejected(
                    code: "forged", message: "ticket \(ticket.code) is forged: its code names another event")
            }
            candidates = [eventID]
        } else {
            let tag = ticket.signed!.eventTag
            candidates = try db.rows("SELECT id FROM event ORDER BY starts_at").map { try $0.get(0, as: String.self) }
                .filter { SignedTicketCode.eventTag($0) == tag }
            guard !candidates.isEmpty else {
                throw TicketingError.rejected(
                    code: "unknown_event",
                    message:
                        "ticket \(ticket.code) is for an event this node does not know (not pulled from central yet?)")
            }
        }
        let now = node.clock.now()
        let events = try candidates.map { try node.inventory.eventState($0) }
        let event: EventState
        if let gateEvent {
            guard let match = events.first(where: { $0.id == gateEvent }) else {
                throw TicketingError.rejected(
                    code: "wrong_event",
                    message: "ticket \(ticket.code) is for \(describe(events[0])), not \(gateEvent)")
            }
            event = match
        } else {
            guard let open = events.first(where: { DoorWindow.contains(now, startsAt: $0.startsAt) }) else {
                throw TicketingError.rejected(
                    code: "wrong_day",
                    message: "ticket \(ticket.code) is for \(describe(events[0])): its doors are not open now")
            }
            event = open
        }
        guard event.status != .cancelled else {
            throw TicketingError.rejected(
                code: "event_cancelled", message: "ticket \(ticket.code) is for a cancelled event (\(event.id))")
        }
        return event
    }

    /// Refuses a ticket refunded or voided (here or, as pulled, at its seller) or already let in
    /// at any door this node has heard of.
    private func refuseIfTaken(_ ticket: Identified, event: EventState) throws {
        if let own = ticket.own, own.status == .refunded || own.status == .void {
            throw TicketingError.rejected(
                code: "ticket_not_valid", message: "ticket \(ticket.code) is \(own.status), not valid for entry")
        }
        if let revoked = try db.row(
            "SELECT status, node_id FROM door_revocation WHERE ticket_code = ?", [ticket.code])
        {
            let status: TicketStatus = try revoked.get("status")
            throw TicketingError.rejected(
                code: "ticket_not_valid",
                message: "ticket \(ticket.code) is \(status) (at \(try revoked.get("node_id", as: String.self))), "
                    + "not valid for entry")
        }
        if let admitted = try db.row(
            "SELECT node_id, gate, admitted_at FROM door_admission WHERE ticket_code = ?", [ticket.code])?.decode(
                AdmittedRow.self)
        {
            throw alreadyCheckedIn(
                ticket.code, at: admitted.admittedAt, gate: admitted.gate, node: admitted.nodeID, event: event)
        }
        if let own = ticket.own, own.status == .checkedIn {
            throw alreadyCheckedIn(
                ticket.code, at: own.checkedInAt, gate: nil, node: try node.settings().nodeID, event: event)
        }
    }

    private func alreadyCheckedIn(_ code: String, at time: Timestamp?, gate: String?, node: String, event: EventState)
        -> TicketingError
    {
        let when = time.map { $0.local(in: event.timezone) } ?? "an unknown time"
        return .rejected(
            code: "already_checked_in",
            message: "ticket \(code) was already checked in at \(when)\(gate.map { ", gate \($0)" } ?? ""), by \(node)")
    }

    private func describe(_ event: EventState) -> String {
        "\(event.id) (\(event.name), \(event.startsAt.local(in: event.timezone)))"
    }

    private func ownTicket(_ code: String) throws -> OwnTicket? {
        try db.row(
            "SELECT order_id, event_id, category_code, seat_label, status, checked_in_at FROM ticket WHERE code = ?",
            [code])?.decode(OwnTicket.self)
    }

    private func vouchedTicket(_ code: String) throws -> VouchedTicket? {
        try db.row(
            "SELECT event_id, node_id, category_code, seat_label, reason FROM door_vouched WHERE ticket_code = ?",
            [code])?.decode(VouchedTicket.self)
    }
}

/// A ticket this node sold.
struct OwnTicket: Decodable {
    let orderID: String
    let eventID: String
    let categoryCode: String
    let seatLabel: String?
    let status: TicketStatus
    let checkedInAt: Timestamp?
}

/// A ticket central vouched for.
struct VouchedTicket: Decodable {
    let eventID: String
    let nodeID: String
    let categoryCode: String?
    let seatLabel: String?
    let reason: VouchReason
}

private struct KeyRow {
    let publicKey: [UInt8]
    let nodeID: String
    let revokedAfter: Timestamp?
    let revokedReason: String?
}

private struct AdmittedRow: Decodable {
    let nodeID: String
    let gate: String?
    let admittedAt: Timestamp
}

extension VenueNode {
    /// Check-in at this node's doors.
    public var door: Door { Door(node: self) }
}
