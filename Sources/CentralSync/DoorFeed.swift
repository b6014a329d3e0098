import EdgeCrypto
import MySQLClient
import SyncWire

/// What central tells every door of the venue: the nodes' signing keys, admissions, tickets taken
/// back, and the tickets it vouches for without a signature a door can take. Each is a change
/// addressed to every protocol 4 node (``ChangeType/everyDoorNode``), written inside the
/// transaction that learns the fact.
///
/// A node of an older protocol reports its facts through its own (older) code, which publishes
/// nothing for the doors: ``catchUp(now:)``, run by `central reconcile`, publishes what such
/// nodes reported for events not yet over, once (`door_published`, `ticket_admission`).
public struct DoorFeed {
    let connection: MySQLConnection

    public init(connection: MySQLConnection) { self.connection = connection }

    /// Tickets per `door.vouched` (and `door.unvouched`) change.
    static let vouchedPerChange = 500

    /// A node's door let a ticket in: kept as one admission (a second one of the same ticket,
    /// from another gate or node, is a row of its own for reconciliation; one offline scanner's
    /// read, imported at two nodes, is one) and told to every door.
    func admitted(_ checkIn: CheckInRecord, now: Timestamp) throws {
        let gate = checkIn.gate ?? ""
        let source = checkIn.source ?? .door
        let scanner = checkIn.scanner.map { SyncLimits.clip($0, to: 40) }
        let added = try connection.execute(
            """
            INSERT INTO ticket_admission (ticket_code, node_id, admitted_at, gate, event_id, source, received_at, scanner)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON DUPLICATE KEY UPDATE ticket_code = ticket_code
            """,
            [
                checkIn.ticketCode, checkIn.nodeID, checkIn.checkedInAt.sqlText, gate, checkIn.eventID, source,
                now.sqlText, scanner,
            ])
        guard added > 0 else { return }
        try publish(
            .doorAdmitted, entity: checkIn.ticketCode,
            DoorAdmittedChange(
                ticketCode: checkIn.ticketCode, eventID: checkIn.eventID, nodeID: checkIn.nodeID, gate: checkIn.gate,
                source: source, admittedAt: checkIn.checkedInAt, scanner: scanner), now: now)
    }

    /// A node refunded or voided some of its tickets: no door lets them in from now on.
    func revoked(_ refund: RefundRecord, nodeID: String, now: Timestamp) throws {
        let fresh = try unpublished(refund.ticketCodes, kind: "revoked")
        guard !fresh.isEmpty else { return }
        let eventID: String? = try connection.scalar("SELECT event_id FROM orders WHERE id = ?", [refund.orderID])
        try markPublished(fresh, kind: "revoked", now: now)
        try publish(
            .doorRevoked, entity: refund.orderID,
            DoorRevokedChange(
                ticketCodes: fresh, eventID: eventID, status: refund.status == .completed ? .refunded : .void,
                nodeID: nodeID, revokedAt: refund.completedAt ?? refund.createdAt), now: now)
    }

    /// A node made or retired a signing key: kept, and told to every node with central's own
    /// revocation of it, if any (a node cannot lift one); a new key of a node revoked as a whole
    /// is revoked at the node's cut (``KeyRevocations``).
    func keyPublished(_ key: SigningKeyRecord, nodeID: String, now: Timestamp) throws {
        guard let publicKey = Self.checkedPublicKey(key.publicKey), let bytes = Hex.decode(publicKey) else {
            throw UnappliableRecord(reason: "signing key of \(nodeID) is not 32 bytes of lowercase hex")
        }
        // Doors find a code's key by its id: a key stored under another id verifies nothing there.
        guard Int(SignedTicketCode.keyID(of: bytes)) == key.keyID else {
            throw UnappliableRecord(
                reason: "signing key \(nodeID)/\(key.keyID) is not that key's id (its public key's is "
                    + "\(SignedTicketCode.keyID(of: bytes)))")
        }
        guard key.nodeID == nodeID else {
            throw UnappliableRecord(
                reason:
                    "signing key \(key.keyID) is named \(SyncLimits.clip(key.nodeID, to: 40))'s, pushed by \(nodeID)")
        }
        try connection.execute(
            """
            INSERT INTO node_key (public_key, node_id, key_id, created_at, retired_at, received_at) VALUES (?, ?, ?, ?, ?, ?)
            ON DUPLICATE KEY UPDATE retired_at = COALESCE(?, retired_at)
            """,
            [
                publicKey, nodeID, key.keyID, key.createdAt.sqlText, key.retiredAt?.sqlText, now.sqlText,
                key.retiredAt?.sqlText,
            ])
        guard try !KeyRevocations(connection: connection).inheritNodeRevocation(publicKey, now: now) else { return }
        try publishKey(publicKey, now: now)
    }

    /// The key as central holds it, published to every node.
    func publishKey(_ publicKey: String, now: Timestamp) throws {
        guard let key = try connection.row("SELECT * FROM node_key WHERE public_key = ?", [publicKey]) else { return }
        let row = try key.decode(NodeKeyRow.self)
        try publish(.signingKey, entity: "\(row.nodeID)/\(row.keyID)", row.record, now: now)
    }

    /// What it published catching up.
    public struct CatchUp: Sendable, Equatable, Codable {
        public let vouched: Int
        public let revoked: Int
        public let admitted: Int
    }

    /// Publishes for events not yet over (starting at most a day ago) what nodes of older
    /// protocols reported and no door was told: their unsigned tickets (vouched for), tickets
    /// refunded or voided, and admissions (with the selling node and no gate: the old record's
    /// admitting node is not kept in the ticket row). Each goes out once.
    public func catchUp(now: Timestamp) throws -> CatchUp {
        try connection.transaction {
            let upcoming = "e.starts_at > CAST(? AS DATETIME(3)) - INTERVAL 1 DAY"
            let unsigned = try connection.rows(
                """
                SELECT t.code, t.event_id, t.node_id, t.category_code, t.seat_label AS seat
                FROM event e JOIN ticket t ON t.event_id = e.id
                WHERE \(upcoming) AND t.signed = 0 AND t.status IN \(TicketStatus.liveList)
                  AND NOT EXISTS (SELECT 1 FROM door_published p WHERE p.ticket_code = t.code AND p.kind = 'vouched')
                ORDER BY t.code
                """, [now.sqlText]
            ).map { try $0.decode(DoorVouchedChange.Ticket.self) }
            try vouch(unsigned, reason: .unsigned, now: now, markAs: "vouched")
            let taken = try connection.rows(
                """
                SELECT t.code, t.event_id, t.node_id, t.status FROM event e JOIN ticket t ON t.event_id = e.id
                WHERE \(upcoming) AND t.status IN ('refunded', 'void')
                  AND NOT EXISTS (SELECT 1 FROM door_published p WHERE p.ticket_code = t.code AND p.kind = 'revoked')
                ORDER BY t.node_id, t.event_id, t.status, t.code
                """, [now.sqlText]
            ).map { try $0.decode(TakenTicket.self) }
            for (_, group) in Dictionary(grouping: taken, by: { "\($0.nodeID)\u{1F}\($0.eventID)\u{1F}\($0.status)" })
                .sorted(by: { $0.key < $1.key })
            {
                let codes = group.map(\.code)
                try markPublished(codes, kind: "revoked", now: now)
                try publish(
                    .doorRevoked, entity: group[0].eventID,
                    DoorRevokedChange(
                        ticketCodes: codes, eventID: group[0].eventID, status: group[0].status,
                        nodeID: group[0].nodeID, revokedAt: now), now: now)
            }
            let untold = try connection.rows(
                """
                SELECT t.code, t.event_id, t.node_id, t.checked_in_at FROM event e JOIN ticket t ON t.event_id = e.id
                WHERE \(upcoming) AND t.status = 'checked_in' AND t.checked_in_at IS NOT NULL
                  AND NOT EXISTS (SELECT 1 FROM ticket_admission a WHERE a.ticket_code = t.code)
                ORDER BY t.code
                """, [now.sqlText]
            ).map { try $0.decode(UnpublishedAdmission.self) }
            for admission in untold {
                try admitted(
                    CheckInRecord(
                        ticketCode: admission.code, orderID: nil, eventID: admission.eventID,
                        nodeID: admission.nodeID, checkedInAt: admission.checkedInAt, actor: "central"), now: now)
            }
            return CatchUp(vouched: unsigned.count, revoked: taken.count, admitted: untold.count)
        }
    }

    /// Tells every door that central vouches for `tickets`, 500 a change; with `markAs`, each is
    /// remembered as published under that kind.
    func vouch(_ tickets: [DoorVouchedChange.Ticket], reason: VouchReason, now: Timestamp, markAs kind: String?)
        throws
    {
        for start in stride(from: 0, to: tickets.count, by: Self.vouchedPerChange) {
            let chunk = Array(tickets[start..<min(start + Self.vouchedPerChange, tickets.count)])
            if let kind { try markPublished(chunk.map(\.code), kind: kind, now: now) }
            try publish(
                .doorVouched, entity: reason.rawValue, DoorVouchedChange(reason: reason, tickets: chunk), now: now)
        }
    }

    private func unpublished(_ codes: [String], kind: String) throws -> [String] {
        guard !codes.isEmpty else { return [] }
        let published = Set(
            try connection.rows(
                """
                SELECT ticket_code FROM door_published
                WHERE kind = ? AND ticket_code IN (\(Array(repeating: "?", count: codes.count).joined(separator: ", ")))
                """, [kind] + codes
            ).map { try $0.get(0, as: String.self) })
        return codes.filter { !published.contains($0) }
    }

    private func markPublished(_ codes: [String], kind: String, now: Timestamp) throws {
        try connection.insertRows(
            into: "door_published (ticket_code, kind, published_at)", "(?, ?, ?)", onDuplicate: "kind = kind",
            codes.map { [$0, kind, now.sqlText] })
    }

    func publish(_ type: ChangeType, entity: String, _ payload: some Encodable, now: Timestamp) throws {
        try ChangeFeed(connection: connection).append(
            type, entityID: SyncLimits.clip(entity, to: SyncLimits.entityID), node: ChangeType.everyDoorNode,
            payload: try JSONText.encode(payload), now: now)
    }

    /// `hex` when it is 32 bytes of lowercase hex.
    static func checkedPublicKey(_ hex: String) -> String? {
        hex.utf8.count == 64 && hex.utf8.allSatisfy({ (48...57).contains($0) || (97...102).contains($0) }) ? hex : nil
    }
}

/// A ticket refunded or voided that no door was told of.
private struct TakenTicket: Decodable {
    let code: String
    let eventID: String
    let nodeID: String
    let status: TicketStatus
}

/// A check-in central holds on a ticket without an admission row.
private struct UnpublishedAdmission: Decodable {
    let code: String
    let eventID: String
    let nodeID: String
    let checkedInAt: Timestamp
}
