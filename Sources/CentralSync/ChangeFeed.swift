import MySQLClient
import SyncWire

/// Central's change log, which nodes pull.
///
/// Sequence numbers come from the one row of `change_sequence`, incremented inside the writer's
/// transaction: its row lock is held until that transaction commits, so the next writer gets the
/// next number only after the previous one is visible. Sequence order is therefore commit order,
/// and a puller reading `seq > cursor` can never skip a change that commits late — which
/// AUTO_INCREMENT ids, handed out before commit, cannot promise. It needs nothing beyond a row
/// lock, so it works the same on Galera, Group Replication or TiDB (where a concurrent writer
/// may get a certification failure instead of waiting, and retries).
public struct ChangeFeed {
    let connection: MySQLConnection

    public init(connection: MySQLConnection) { self.connection = connection }

    /// Appends a change for one node (or for all when `node` is nil) inside the caller's
    /// transaction and returns its sequence number.
    @discardableResult
    public func append(_ type: ChangeType, entityID: String, node: String?, payload: String, now: Timestamp) throws
        -> Int64
    {
        try connection.execute("UPDATE change_sequence SET value = value + 1 WHERE id = 1")
        guard let seq: Int64 = try connection.scalar("SELECT value FROM change_sequence WHERE id = 1") else {
            throw CentralError.rejected(code: "schema", message: "change_sequence is empty; run 'central migrate'")
        }
        try connection.execute(
            """
            INSERT INTO change_log (seq, node_id, change_type, entity_id, payload, created_at) VALUES (?, ?, ?, ?, ?, ?)
            """, [seq, node ?? "", type.rawValue, entityID, payload, now.sqlText])
        return seq
    }

    /// Up to `limit` changes for `node` after `seq`, in sequence order, with the change at `seq`
    /// itself (so the node can check it is the one it applied): those for every node, for every
    /// door (``ChangeType/everyDoorNode``, which a node of an older protocol does not ask for), and
    /// its own.
    public func changes(after seq: Int64, node: String, limit: Int) throws -> ChangePage {
        let rows = try connection.rows(
            """
            SELECT seq, change_type, entity_id, payload, created_at FROM change_log
            WHERE seq >= ? AND node_id IN ('', ?, ?) ORDER BY seq LIMIT ?
            """, [seq, ChangeType.everyDoorNode, node, limit + 1]
        ).map { row in
            Change(
                seq: try row.get("seq"), type: try row.get("change_type"), entityID: try row.get("entity_id"),
                payload: try row.get("payload"), createdAt: try row.get("created_at"))
        }
        let anchor = rows.first?.seq == seq ? rows.first : nil
        return ChangePage(changes: Array(rows.drop(while: { $0.seq <= seq }).prefix(limit)), anchor: anchor)
    }
}
