import MySQLClient
import SyncWire

/// Head office's revocations of the nodes' ticket signing keys (`central keys revoke`): from a
/// cut on, a door refuses a revoked key's tickets except those central received before the cut,
/// which it vouches for (``DoorVouchedChange``, reason `revoked_key`).
///
/// A node revoked as a whole (no key named) stays revoked: a key it publishes later — a thief
/// running `boxoffice keys rotate` on a stolen box — is stored revoked at the same cut, with the
/// same reason, before any door hears of it. A replacement box joins under a new node id.
public struct KeyRevocations {
    let connection: MySQLConnection

    public init(connection: MySQLConnection) { self.connection = connection }

    /// What a revocation did.
    public struct Outcome: Sendable, Codable, Equatable {
        /// The node's keys whose cut this revocation set or moved earlier, as central now holds them.
        public let keys: [SigningKeyRecord]
        /// Keys revoked before from an earlier time, which keep their cut: a revocation only moves
        /// a cut earlier.
        public let unchanged: [SigningKeyRecord]
        /// Tickets of the revoked keys received before the cut: they still get in.
        public let vouched: Int
        /// Tickets vouched for under a later cut and received after this one: refused from now on.
        public let withdrawn: Int
    }

    /// A revocation's reason is one short line: every door prints it with each ticket it refuses.
    /// Checked before central is asked anything, so a bad reason is refused even while central
    /// cannot be reached.
    public static func check(reason: String) throws {
        guard reason.contains(where: { !$0.isWhitespace }) else {
            throw CentralError.invalidInput("a revocation needs a reason: the doors show it")
        }
        guard !reason.unicodeScalars.contains(where: SyncLimits.isControl) else {
            throw CentralError.invalidInput(
                "a revocation's reason must be one line without control characters: the doors print it")
        }
        guard SyncLimits.length(reason) <= SyncLimits.revocationReason else {
            throw CentralError.invalidInput(
                "a revocation's reason is at most \(SyncLimits.revocationReason) characters (this one has "
                    + "\(SyncLimits.length(reason))): the doors print it with each ticket they refuse")
        }
    }

    /// Revokes `node`'s keys (the one with `keyID`, or every one it has published and will
    /// publish) after `after`: from each node's next pull its doors refuse their tickets except
    /// those central received before then. A key revoked before from a later time takes the
    /// earlier cut (head office learnt the theft happened before), and the tickets vouched for
    /// in between are withdrawn; one revoked from an earlier time keeps its cut.
    public func revoke(node: String, keyID: Int?, after: Timestamp, reason: String) throws -> Outcome {
        try connection.transaction {
            let now = try CentralClock.timestamp(try connection.scalar("SELECT NOW(3)", as: String.self) ?? "")
            guard after <= now else {
                throw CentralError.invalidInput(
                    "the cut \(after) is later than central's clock (\(now)): the tickets central receives before "
                        + "it would be refused. Revoke from a time past (the theft, or now); a later revocation can "
                        + "move the cut earlier")
            }
            try Self.check(reason: reason)
            let keys = try connection.rows(
                "SELECT * FROM node_key WHERE node_id = ? AND (? IS NULL OR key_id = ?) ORDER BY created_at FOR UPDATE",
                [node, keyID, keyID]
            ).map { try $0.decode(NodeKeyRow.self) }
            guard !keys.isEmpty else {
                throw CentralError.notFound(
                    "node \(SyncLimits.clip(node, to: 40)) has published no signing key"
                        + (keyID.map { " with id \($0)" } ?? ""))
            }
            if keyID == nil {
                // `revoked_after` last: MySQL assigns left to right, so the others compare the old cut.
                try connection.execute(
                    """
                    INSERT INTO node_revocation (node_id, revoked_after, revoked_reason, revoked_at) VALUES (?, ?, ?, ?)
                    ON DUPLICATE KEY UPDATE revoked_reason = IF(? < revoked_after, ?, revoked_reason),
                        revoked_at = IF(? < revoked_after, ?, revoked_at), revoked_after = LEAST(revoked_after, ?)
                    """,
                    [
                        node, after.sqlText, reason, now.sqlText, after.sqlText, reason, after.sqlText, now.sqlText,
                        after.sqlText,
                    ])
            }
            var (cut, unchanged) = ([SigningKeyRecord](), [SigningKeyRecord]())
            var (vouched, withdrawn) = (0, 0)
            for key in keys {
                guard let moved = try self.cut(key, after: after, reason: reason, now: now) else {
                    unchanged.append(key.record)
                    continue
                }
                cut.append(try self.key(key.publicKey)!.record)
                vouched += moved.vouched
                withdrawn += moved.withdrawn
            }
            return Outcome(keys: cut, unchanged: unchanged, vouched: vouched, withdrawn: withdrawn)
        }
    }

    /// Inside the push that brings a key of a node revoked as a whole: the key takes the node's
    /// cut and reason (unless it has an earlier one). Returns true when it did.
    func inheritNodeRevocation(_ publicKey: String, now: Timestamp) throws -> Bool {
        guard let key = try key(publicKey),
            let revocation = try connection.row(
                "SELECT revoked_after, revoked_reason FROM node_revocation WHERE node_id = ?", [key.nodeID])
        else { return false }
        return try cut(
            key, after: try revocation.get("revoked_after"), reason: try revocation.get("revoked_reason"), now: now)
            != nil
    }

    /// Every node's keys, newest first within each node, with whether the node is revoked as a whole.
    public func keys() throws -> [CentralSigningKey] {
        let revokedNodes = Set(
            try connection.rows("SELECT node_id FROM node_revocation").map { try $0.get(0, as: String.self) })
        return try connection.rows("SELECT * FROM node_key ORDER BY node_id, created_at DESC, public_key").map {
            let row = try $0.decode(NodeKeyRow.self)
            return CentralSigningKey(record: row.record, nodeRevoked: revokedNodes.contains(row.nodeID))
        }
    }

    /// Revokes `key` after `after`, or moves its cut there when it is revoked from a later time
    /// (nil, changing nothing, when it is revoked from that time or before). A key revoked anew
    /// gets its tickets received before the cut vouched for; a cut moved earlier withdraws those
    /// received since the new cut.
    private func cut(_ key: NodeKeyRow, after: Timestamp, reason: String, now: Timestamp) throws -> (
        vouched: Int, withdrawn: Int
    )? {
        if let current = key.revokedAfter, current <= after { return nil }
        try connection.execute(
            "UPDATE node_key SET revoked_after = ?, revoked_reason = ? WHERE public_key = ?",
            [after.sqlText, reason, key.publicKey])
        try DoorFeed(connection: connection).publishKey(key.publicKey, now: now)
        let feed = DoorFeed(connection: connection)
        let upcoming = "e.starts_at > CAST(? AS DATETIME(3)) - INTERVAL 1 DAY"
        let tickets = try connection.rows(
            """
            SELECT t.code, t.event_id, t.node_id, t.category_code, t.seat_label AS seat
            FROM ticket t JOIN orders o ON o.id = t.order_id JOIN event e ON e.id = t.event_id
            WHERE \(Self.signedByKey) AND t.status IN \(TicketStatus.liveList) AND o.received_at < ? AND \(upcoming)
            ORDER BY t.code
            """, Self.signedArguments(key) + [after.sqlText, now.sqlText]
        ).map { try $0.decode(DoorVouchedChange.Ticket.self) }
        guard let earlier = key.revokedAfter else {
            try feed.vouch(tickets, reason: .revokedKey, now: now, markAs: nil)
            return (tickets.count, 0)
        }
        // Vouched for under the later cut (whatever their status since: a door drops what it holds).
        let withdrawn = try connection.rows(
            """
            SELECT t.code FROM ticket t JOIN orders o ON o.id = t.order_id JOIN event e ON e.id = t.event_id
            WHERE \(Self.signedByKey) AND o.received_at >= ? AND o.received_at < ? AND \(upcoming)
            ORDER BY t.code
            """, Self.signedArguments(key) + [after.sqlText, earlier.sqlText, now.sqlText]
        ).map { try $0.get(0, as: String.self) }
        for start in stride(from: 0, to: withdrawn.count, by: DoorFeed.vouchedPerChange) {
            try feed.publish(
                .doorUnvouched, entity: "\(key.nodeID)/\(key.keyID)",
                DoorUnvouchedChange(
                    reason: .revokedKey, nodeID: key.nodeID, keyID: key.keyID, revokedAfter: after,
                    ticketCodes: Array(withdrawn[start..<min(start + DoorFeed.vouchedPerChange, withdrawn.count)])),
                now: now)
        }
        return (tickets.count, withdrawn.count)
    }

    /// The condition on ticket `t` of being signed by a key (arguments: ``signedArguments(_:)``):
    /// its key id, or for a ticket received before central kept key ids, being sold by the key's
    /// node while the key was in force (both times the node's clock).
    static let signedByKey = """
        t.node_id = ? AND t.signed = 1
          AND (t.key_id = ? OR (t.key_id IS NULL AND t.created_at >= ? AND (? IS NULL OR t.created_at < ?)))
        """

    static func signedArguments(_ key: NodeKeyRow) -> [any SQLValueConvertible] {
        [key.nodeID, key.keyID, key.createdAt.sqlText, key.retiredAt?.sqlText, key.retiredAt?.sqlText]
    }

    private func key(_ publicKey: String) throws -> NodeKeyRow? {
        try connection.row("SELECT * FROM node_key WHERE public_key = ?", [publicKey])?.decode(NodeKeyRow.self)
    }
}

/// A node's signing key as central holds it, for `central keys list`.
public struct CentralSigningKey: Sendable, Codable, Equatable {
    public let nodeID: String
    public let keyID: Int
    public let publicKey: String
    public let createdAt: Timestamp
    public let retiredAt: Timestamp?
    public let revokedAfter: Timestamp?
    public let revokedReason: String?
    /// True when the node is revoked as a whole: every key it publishes is revoked at its cut.
    public let nodeRevoked: Bool

    init(record: SigningKeyRecord, nodeRevoked: Bool) {
        nodeID = record.nodeID
        keyID = record.keyID
        publicKey = record.publicKey
        createdAt = record.createdAt
        retiredAt = record.retiredAt
        revokedAfter = record.revokedAfter
        revokedReason = record.revokedReason
        self.nodeRevoked = nodeRevoked
    }
}

/// A row of `node_key`.
struct NodeKeyRow: Decodable {
    let publicKey: String
    let nodeID: String
    let keyID: Int
    let createdAt: Timestamp
    let retiredAt: Timestamp?
    let revokedAfter: Timestamp?
    let revokedReason: String?

    var record: SigningKeyRecord {
        SigningKeyRecord(
            nodeID: nodeID, keyID: keyID, publicKey: publicKey, createdAt: createdAt, retiredAt: retiredAt,
            revokedAfter: revokedAfter, revokedReason: revokedReason)
    }
}
