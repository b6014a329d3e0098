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
        /// The node's keys revoked, as central now holds them.
        public let keys: [SigningKeyRecord]
        /// Tickets of those keys received before the cut: they still get in.
        public let vouched: Int
    }

    /// Revokes `node`'s keys (the one with `keyID`, or every one it has published and will
    /// publish) after `after`: from each node's next pull its doors refuse their tickets except
    /// those central received before then.
    public func revoke(node: String, keyID: Int?, after: Timestamp, reason: String) throws -> Outcome {
        try connection.transaction {
            let now = try CentralClock.timestamp(try connection.scalar("SELECT NOW(3)", as: String.self) ?? "")
            guard after <= now else {
                throw CentralError.invalidInput(
                    "the cut \(after) is later than central's clock (\(now)): the tickets central receives before "
                        + "it would be refused. Revoke from a time past (the theft, or now); a later revocation can "
                        + "move the cut earlier")
            }
            let reason = SyncLimits.clip(reason, to: 500)
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
                try connection.execute(
                    """
                    INSERT INTO node_revocation (node_id, revoked_after, revoked_reason, revoked_at) VALUES (?, ?, ?, ?)
                    ON DUPLICATE KEY UPDATE revoked_after = ?, revoked_reason = ?, revoked_at = ?
                    """,
                    [node, after.sqlText, reason, now.sqlText, after.sqlText, reason, now.sqlText])
            }
            var vouched = 0
            for key in keys {
                vouched += try cut(key, after: after, reason: reason, now: now)
            }
            return Outcome(
                keys: try keys.compactMap { try self.key($0.publicKey)?.record }, vouched: vouched)
        }
    }

    /// Inside the push that brings a key of a node revoked as a whole: the key takes the node's
    /// cut and reason. Returns true when it did.
    func inheritNodeRevocation(_ publicKey: String, now: Timestamp) throws -> Bool {
        guard let key = try key(publicKey),
            let revocation = try connection.row(
                "SELECT revoked_after, revoked_reason FROM node_revocation WHERE node_id = ?", [key.nodeID])
        else { return false }
        let after: Timestamp = try revocation.get("revoked_after")
        guard key.revokedAfter == nil else { return false }
        _ = try cut(key, after: after, reason: try revocation.get("revoked_reason"), now: now)
        return true
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

    /// Revokes `key` after `after` and vouches for its tickets central received before then.
    /// Returns how many it vouched for.
    private func cut(_ key: NodeKeyRow, after: Timestamp, reason: String, now: Timestamp) throws -> Int {
        try connection.execute(
            "UPDATE node_key SET revoked_after = ?, revoked_reason = ? WHERE public_key = ?",
            [after.sqlText, reason, key.publicKey])
        try DoorFeed(connection: connection).publishKey(key.publicKey, now: now)
        let tickets = try connection.rows(
            """
            SELECT t.code, t.event_id, t.node_id, t.category_code, t.seat_label AS seat
            FROM ticket t JOIN orders o ON o.id = t.order_id JOIN event e ON e.id = t.event_id
            WHERE \(Self.signedByKey) AND t.status IN ('valid', 'checked_in') AND o.received_at < ?
              AND e.starts_at > CAST(? AS DATETIME(3)) - INTERVAL 1 DAY
            ORDER BY t.code
            """, Self.signedArguments(key) + [after.sqlText, now.sqlText]
        ).map { try $0.decode(DoorVouchedChange.Ticket.self) }
        try DoorFeed(connection: connection).vouch(tickets, reason: .revokedKey, now: now, markAs: nil)
        return tickets.count
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
