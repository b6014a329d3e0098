import MySQLClient
import SyncWire

/// Who a central is: a UUID made once, when `central migrate` creates the schema (migration 9),
/// and kept through dumps and restores. A node records it when it joins and syncs with no other
/// central until an operator re-joins it (`boxoffice sync rejoin`), so a node pointed at the wrong
/// database (an empty one, another network's) stops instead of pushing its history there.
public struct CentralIdentity: Sendable, Codable, Equatable {
    public let id: String
    /// When it was made (central's clock).
    public let createdAt: Timestamp

    /// The identity of the database `connection` is on; nil before migration 9 made one.
    public static func read(_ connection: MySQLConnection) throws -> CentralIdentity? {
        guard
            try connection.scalar(
                """
                SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = DATABASE() AND table_name = 'central_identity'
                """, as: Int.self) == 1,
            let row = try connection.row("SELECT central_id, created_at FROM central_identity WHERE id = 1")
        else { return nil }
        return CentralIdentity(
            id: try row.get("central_id"), createdAt: try CentralClock.timestamp(try row.get("created_at")))
    }
}
