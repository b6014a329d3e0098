import MySQLClient

/// The zone people at head office read a node's times in: the zone of the venues it holds
/// allocations at, when they share one; for a node with none, and for every node (`*`), the zone
/// all venues share; else UTC. `--json` keeps UTC and names the zone beside it.
struct NodeTimeZones {
    private var byNode = [String: String]()
    private var everyNode = "UTC"

    init(connection: MySQLConnection) throws {
        for row in try connection.rows(
            """
            SELECT a.node_id, MIN(v.timezone) AS zone, COUNT(DISTINCT v.timezone) AS zones
            FROM allocation a JOIN event e ON e.id = a.event_id JOIN venue v ON v.id = e.venue_id GROUP BY a.node_id
            """)
        {
            byNode[try row.get("node_id")] = try row.get("zones", as: Int64.self) == 1 ? try row.get("zone") : "UTC"
        }
        if let all = try connection.row("SELECT MIN(timezone) AS zone, COUNT(DISTINCT timezone) AS zones FROM venue"),
            try all.get("zones", as: Int64.self) == 1
        {
            everyNode = try all.get("zone")
        }
    }

    /// The zone of `nodeID` (`*`: every node).
    func zone(of nodeID: String) -> String { byNode[nodeID] ?? everyNode }
}
