import EdgeCrypto
import EdgeStore
import SyncWire

/// Applies what central tells every door of the venue (keys, admissions, tickets taken back,
/// tickets it vouches for or no longer does), inside the pull's transaction. Each is idempotent, and none is
/// reported back: these are other nodes' facts, or central's word.
struct DoorChanges {
    let node: VenueNode
    var db: Database { node.database }

    /// A node's key as central holds it: made, retired or revoked.
    func apply(_ key: SigningKeyRecord) throws -> ChangeOutcome {
        guard let publicKey = Hex.decode(key.publicKey), publicKey.count == Ed25519.publicKeyByteCount,
            Int(SignedTicketCode.keyID(of: publicKey)) == key.keyID
        else {
            throw TicketingError.invalidInput("signing key \(key.nodeID)/\(key.keyID) is not an Ed25519 key of that id")
        }
        try db.execute(
            """
            INSERT INTO signing_key (public_key, key_id, node_id, created_at, retired_at, revoked_after, revoked_reason)
            VALUES (?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT (public_key) DO UPDATE SET retired_at = coalesce(excluded.retired_at, retired_at),
                revoked_after = excluded.revoked_after, revoked_reason = excluded.revoked_reason
            """,
            [
                publicKey, key.keyID, key.nodeID, key.createdAt.milliseconds, key.retiredAt?.milliseconds,
                key.revokedAfter?.milliseconds, key.revokedReason.map(Self.printable),
            ])
        if key.revokedAfter != nil, key.nodeID == (try node.settings().nodeID) {
            try node.audit.record(
                "signing_key.revoked", by: "central", entity: "signing_key", id: String(key.keyID),
                detail: ["reason": key.revokedReason ?? ""])
        }
        return .applied
    }

    /// Text from central that the doors print (a revocation's reason, another node's gate): one
    /// line without control characters, at most ``SyncLimits/revocationReason`` characters,
    /// whatever central holds.
    static func printable(_ text: String) -> String {
        SyncLimits.clip(SyncLimits.printable(text), to: SyncLimits.revocationReason)
    }

    /// A ticket let in somewhere: refused at this node's doors from now on. A ticket this node
    /// sold is marked checked in (not reported again: its admitting node reported it).
    func apply(_ admission: DoorAdmittedChange) throws -> ChangeOutcome {
        try db.execute(
            """
            INSERT INTO door_admission (ticket_code, event_id, node_id, gate, source, admitted_at) VALUES (?, ?, ?, ?, ?, ?)
            ON CONFLICT (ticket_code) DO NOTHING
            """,
            [
                admission.ticketCode, admission.eventID, Self.printable(admission.nodeID),
                admission.gate.map(Self.printable), admission.source, admission.admittedAt.milliseconds,
            ])
        try db.execute(
            "UPDATE ticket SET status = 'checked_in', checked_in_at = ? WHERE code = ? AND status = 'valid'",
            [admission.admittedAt.milliseconds, admission.ticketCode])
        if let scanner = admission.scanner {
            try rememberScannerRead(scanner: scanner, code: admission.ticketCode, at: admission.admittedAt)
        }
        return .applied
    }

    /// Remembers an offline scanner's read as imported, so that its file imported here (again)
    /// records it no more.
    func rememberScannerRead(scanner: String, code: String, at time: Timestamp) throws {
        try db.execute(
            """
            INSERT INTO door_scanner_admission (scanner, ticket_code, admitted_at, imported_at) VALUES (?, ?, ?, ?)
            ON CONFLICT DO NOTHING
            """, [scanner, code, time.milliseconds, node.clock.now().milliseconds])
    }

    /// Tickets refunded or voided at their seller.
    func apply(_ revoked: DoorRevokedChange) throws -> ChangeOutcome {
        guard revoked.status == .refunded || revoked.status == .void else {
            throw TicketingError.invalidInput("door.revoked with status \(revoked.status)")
        }
        for code in revoked.ticketCodes {
            try db.execute(
                """
                INSERT INTO door_revocation (ticket_code, event_id, status, node_id, revoked_at) VALUES (?, ?, ?, ?, ?)
                ON CONFLICT (ticket_code) DO UPDATE SET status = excluded.status
                """, [code, revoked.eventID, revoked.status, revoked.nodeID, revoked.revokedAt.milliseconds])
        }
        return .applied
    }

    /// Tickets central vouches for.
    func apply(_ vouched: DoorVouchedChange) throws -> ChangeOutcome {
        for ticket in vouched.tickets {
            try db.execute(
                """
                INSERT INTO door_vouched (ticket_code, event_id, node_id, category_code, seat_label, reason)
                VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (ticket_code) DO UPDATE SET reason = excluded.reason
                """, [ticket.code, ticket.eventID, ticket.nodeID, ticket.categoryCode, ticket.seat, vouched.reason])
        }
        return .applied
    }

    /// Tickets central no longer vouches for (for that reason): refused here from now on, unless
    /// this node sold them.
    func apply(_ unvouched: DoorUnvouchedChange) throws -> ChangeOutcome {
        for code in unvouched.ticketCodes {
            try db.execute("DELETE FROM door_vouched WHERE ticket_code = ? AND reason = ?", [code, unvouched.reason])
        }
        return .applied
    }
}
