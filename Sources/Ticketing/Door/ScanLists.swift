import EdgeCrypto
import EdgeStore
import SyncWire

/// What `checkin --import` did with an offline scanner's admissions.
public struct ScannerImport: Sendable, Codable, Equatable {
    /// One admission that did not go in cleanly.
    public struct Conflict: Sendable, Codable, Equatable {
        public let code: String
        public let at: Timestamp
        /// `admitted_twice`, `revoked`, `key_revoked`, `other_event`, `before_sale`, `before_doors`, or why
        /// the code is not a ticket of the venue.
        public let kind: String
        public let message: String
    }
    public let scanner: String
    public let eventID: String
    /// Admissions recorded (conflicting ones that happened included: a ticket let in twice is
    /// recorded twice, for reconciliation).
    public let recorded: Int
    /// Admissions this node had imported before.
    public let alreadyImported: Int
    public let conflicts: [Conflict]
}

extension Door {
    /// The scan list of `eventID` for an offline scanner (supervisors: it lists codes of tickets
    /// that let no one in, and digests of those that do).
    public func scanList(eventID: String, by actor: Operator) throws -> ScanList {
        try actor.require(.supervisor, to: "exporting a scan list")
        return try db.read {
            let event = try node.inventory.eventState(eventID)
            guard event.status != .cancelled else {
                throw TicketingError.rejected(
                    code: "event_cancelled", message: "\(eventID) is cancelled: no scanner lets anyone in for it")
            }
            let keys = try db.rows(
                "SELECT public_key, key_id, node_id, revoked_after FROM signing_key ORDER BY node_id, created_at"
            ).map { row in
                ScanList.Key(
                    nodeID: try row.get("node_id"), keyID: try row.get("key_id"),
                    publicKey: Hex.encode(try row.get("public_key", as: [UInt8].self)),
                    revokedAfter: try row.get("revoked_after"))
            }
            let revoked = try db.rows(
                """
                SELECT code, status FROM ticket WHERE event_id = ? AND (status = 'refunded' OR status = 'void')
                UNION SELECT ticket_code, status FROM door_revocation WHERE event_id = ? OR event_id IS NULL
                ORDER BY 1
                """, [eventID, eventID]
            ).map { ScanList.Revoked(code: try $0.get(0), status: try $0.get(1)) }
            let admitted = try db.rows(
                """
                SELECT ticket_code, admitted_at, node_id, gate FROM door_admission WHERE event_id = ?
                UNION ALL
                SELECT code, checked_in_at, ?, NULL FROM ticket t
                WHERE event_id = ? AND status = 'checked_in' AND checked_in_at IS NOT NULL
                  AND NOT EXISTS (SELECT 1 FROM door_admission a WHERE a.ticket_code = t.code)
                ORDER BY 1
                """, [eventID, try node.settings().nodeID, eventID]
            ).map {
                ScanList.Admitted(code: try $0.get(0), at: try $0.get(1), nodeID: try $0.get(2), gate: try $0.get(3))
            }
            let vouched = try db.rows(
                """
                SELECT code, category_code, seat_label FROM ticket
                WHERE event_id = ? AND key_id IS NULL AND (status = 'valid' OR status = 'checked_in')
                UNION SELECT ticket_code, category_code, seat_label FROM door_vouched WHERE event_id = ?
                ORDER BY 1
                """, [eventID, eventID]
            ).map { row in
                ScanList.Vouched(
                    codeSHA256: Hex.encode(SHA256.hash(Array(try row.get(0, as: String.self).utf8))),
                    category: try row.get(1), seat: try row.get(2))
            }
            return ScanList(
                madeAt: node.clock.now(), madeBy: try node.settings().nodeID,
                event: ScanList.Event(
                    id: event.id, name: event.name, startsAt: event.startsAt, timezone: event.timezone,
                    status: event.status, tag: Hex.encode(SignedTicketCode.eventTag(event.id)),
                    doorsOpenAt: DoorWindow.opens(event.startsAt), doorsCloseAt: DoorWindow.closes(event.startsAt)),
                keys: keys, revoked: revoked, admitted: admitted, vouched: vouched)
        }
    }

    /// Records what an offline scanner let in, in one transaction, each as the fact it was (at its
    /// time, with its gate, `source` scanner) and sent to central like any check-in. An admission
    /// of a ticket let in before (anywhere this node heard of) or refunded is recorded too — it
    /// happened — and reported as a conflict, as is one signed by a revoked key (`key_revoked`:
    /// central then lists it as a ticket no node reported selling); one of a code that is no
    /// ticket of the venue (forged, mistyped, of a key no node published), of another event, or
    /// dated before the ticket's sale or its event's doors opened, is reported and not recorded.
    /// A file imported again records nothing twice.
    public func importScanner(_ file: ScannerAdmissions, gate: String?, by actor: Operator) throws -> ScannerImport {
        guard file.format == ScannerAdmissions.format else {
            throw TicketingError.invalidInput(
                "the file is '\(file.format.prefix(40))', not an offline scanner's admissions (\(ScannerAdmissions.format))"
            )
        }
        let scanner = try Validation.code(file.scanner, field: "scanner")
        let fileGate = try (gate ?? file.gate).map { try Validation.text($0, field: "gate", maxLength: 40) }
        try Self.refuseFutureReads(file, now: node.clock.now())
        return try db.write {
            let event = try node.inventory.eventState(file.eventID)
            let nodeID = try node.settings().nodeID
            var recorded = 0
            var already = 0
            var conflicts = [ScannerImport.Conflict]()
            for admission in file.admissions.sorted(by: { $0.at < $1.at }) {
                func conflict(_ kind: String, _ message: String) {
                    conflicts.append(.init(code: admission.code, at: admission.at, kind: kind, message: message))
                }
                let ticket: Identified
                do {
                    ticket = try identify(try Self.read(admission.code))
                } catch let error as TicketingError {
                    switch error {
                    case .rejected(let code, let message): conflict(code, message)
                    case .invalidInput(let message): conflict("not_a_code", message)
                    default: conflict("unknown_ticket", error.message)
                    }
                    continue
                }
                let eventID = ticket.own?.eventID ?? ticket.vouched?.eventID
                if let eventID, eventID != event.id {
                    conflict("other_event", "ticket \(ticket.code) is for \(eventID), not \(event.id)")
                    continue
                }
                if eventID == nil, let signed = ticket.signed, !signed.names(eventID: event.id) {
                    conflict("other_event", "ticket \(ticket.code) is for another event than \(event.id)")
                    continue
                }
                if let (kind, message) = try implausiblyOld(
                    admission.at, of: ticket, scanner: scanner, event: event)
                {
                    conflict(kind, message)
                    continue
                }
                // Imported here before, or at another node whose admission of it this node pulled.
                guard
                    try db.scalar(
                        "SELECT 1 FROM door_scanner_admission WHERE scanner = ? AND ticket_code = ? AND admitted_at = ?",
                        [scanner, ticket.code, admission.at.milliseconds], as: Int.self) == nil
                else {
                    already += 1
                    continue
                }
                try DoorChanges(node: node).rememberScannerRead(scanner: scanner, code: ticket.code, at: admission.at)
                let gate =
                    try (admission.gate.map { try Validation.text($0, field: "gate", maxLength: 40) }) ?? fileGate
                if case .rejected(let code, let message)? = ticket.revokedKey {
                    // The scanner's list predates the revocation, or it let the ticket in anyway:
                    // recorded, so that central lists it (`admitted_unknown_ticket`).
                    conflict(code, "\(message); the scanner let it in")
                }
                let revokedHere = ticket.own.map(\.status).flatMap { $0 == .refunded || $0 == .void ? $0 : nil }
                let revokedThere = try db.scalar(
                    "SELECT status FROM door_revocation WHERE ticket_code = ?", [ticket.code], as: TicketStatus.self)
                if let revoked = revokedHere ?? revokedThere {
                    conflict("revoked", "ticket \(ticket.code) was \(revoked) and the scanner let it in")
                }
                if let before = try db.row(
                    "SELECT node_id, gate, admitted_at FROM door_admission WHERE ticket_code = ?", [ticket.code])
                {
                    let at: Timestamp = try before.get("admitted_at")
                    let by: String = try before.get("node_id")
                    let place = (try before.get("gate", as: String?.self)).map { "gate \($0)" } ?? by
                    conflict(
                        "admitted_twice",
                        "ticket \(ticket.code) was let in at \(place) (\(by)) at \(at.local(in: event.timezone)) and "
                            + "by scanner \(scanner) at \(admission.at.local(in: event.timezone))")
                } else if let own = ticket.own, own.status == .checkedIn {
                    conflict(
                        "admitted_twice",
                        "ticket \(ticket.code) was let in here at "
                            + "\(own.checkedInAt.map { $0.local(in: event.timezone) } ?? "an unknown time") and by "
                            + "scanner \(scanner) at \(admission.at.local(in: event.timezone))")
                }
                try db.execute(
                    """
                    INSERT INTO door_admission (ticket_code, event_id, node_id, gate, source, admitted_at)
                    VALUES (?, ?, ?, ?, 'scanner', ?) ON CONFLICT (ticket_code) DO NOTHING
                    """, [ticket.code, event.id, nodeID, gate, admission.at.milliseconds])
                if ticket.own != nil {
                    try db.execute(
                        "UPDATE ticket SET status = 'checked_in', checked_in_at = ? WHERE code = ? AND status = 'valid'",
                        [admission.at.milliseconds, ticket.code])
                }
                try node.outbox.append(
                    .ticketCheckedIn, id: ticket.code,
                    payload: CheckInRecord(
                        ticketCode: ticket.code, orderID: ticket.own?.orderID, eventID: event.id, nodeID: nodeID,
                        checkedInAt: admission.at, actor: actor.name, gate: gate, source: .scanner, scanner: scanner))
                recorded += 1
            }
            try node.audit.record(
                "scanner.imported", by: actor.name, entity: "scanner", id: scanner,
                detail: ["event": event.id, "recorded": String(recorded), "conflicts": String(conflicts.count)])
            return ScannerImport(
                scanner: scanner, eventID: event.id, recorded: recorded, alreadyImported: already, conflicts: conflicts)
        }
    }

    /// How much earlier than a ticket's sale, or than its event's doors opening, a read may be
    /// dated: a scanner's clock a little slow.
    static let pastReadTolerance: Int64 = 3600 * 1000

    /// Why a read dated `at` cannot be: before the ticket was sold (a ticket this node sold), or
    /// before its event's doors opened (``DoorWindow``, which a scanner admits in), more than
    /// ``pastReadTolerance`` each. A scanner whose clock is wrong, or a file made up, would record
    /// admissions that never were, and every door would then name that time.
    private func implausiblyOld(_ at: Timestamp, of ticket: Identified, scanner: String, event: EventState) throws
        -> (String, String)?
    {
        let zone = event.timezone
        let read = "ticket \(ticket.code) read by scanner \(scanner) at \(at.local(in: zone))"
        if let own = ticket.own,
            let soldAt = try db.scalar("SELECT created_at FROM orders WHERE id = ?", [own.orderID], as: Timestamp.self),
            at.milliseconds < soldAt.milliseconds - Self.pastReadTolerance
        {
            return (
                "before_sale",
                "\(read), before it was sold (\(soldAt.local(in: zone))): the scanner's clock is wrong; not recorded"
            )
        }
        let opens = DoorWindow.opens(event.startsAt)
        if at.milliseconds < opens.milliseconds - Self.pastReadTolerance {
            return (
                "before_doors",
                "\(read), before the doors of \(event.id) opened (\(opens.local(in: zone))): the scanner's clock is "
                    + "wrong; not recorded"
            )
        }
        return nil
    }

    /// How far ahead of this node's clock a read may be dated: a scanner's clock a little fast,
    /// or in another zone set wrong, but not a year off.
    static let futureReadTolerance: Int64 = 24 * 3600 * 1000

    /// Refuses the whole file when a read is dated more than a day after `now`: a scanner whose
    /// clock is wrong (or a forged file) would record admissions at times that never were.
    static func refuseFutureReads(_ file: ScannerAdmissions, now: Timestamp) throws {
        let latest = Timestamp(milliseconds: now.milliseconds + futureReadTolerance)
        let future = file.admissions.enumerated().filter { $0.element.at > latest }
        guard let (index, first) = future.first else { return }
        throw TicketingError.invalidInput(
            "\(future.count) admission(s) dated more than a day after this node's clock (\(now)), the first "
                + "admissions[\(index)] at \(first.at): the scanner's clock is wrong; correct the times in the file")
    }
}
