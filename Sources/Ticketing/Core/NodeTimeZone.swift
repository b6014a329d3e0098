import EdgeStore
import SyncWire

/// The zone people at a node read times in that belong to no one event (maintenance, sessions,
/// restores, closing reports): its venues' when they share one, else UTC (a node selling for
/// venues in several zones, or none yet). `--json` keeps UTC and names this zone beside it.
enum NodeTimeZone {
    static func of(_ db: Database) throws -> String {
        let zones = try db.rows("SELECT DISTINCT timezone FROM venue LIMIT 2").map { try $0.get(0, as: String.self) }
        return zones.count == 1 ? zones[0] : "UTC"
    }
}

extension VenueNode {
    /// The zone people at this node read its times in (``NodeTimeZone``).
    public func timezone() throws -> String { try NodeTimeZone.of(database) }
}
