import EdgeStore
import SyncWire

/// The node at a glance: for `boxoffice status` and health checks.
public struct NodeStatus: Sendable, Codable, Equatable {
    public let nodeID: String
    public let schemaVersion: Int
    public let currency: String
    public let events: Int
    public let orders: Int
    public let activeHolds: Int
    /// Outbox records central has not acknowledged yet.
    public let outboxPending: Int
    public let notificationsPending: Int
    public let notificationsFailed: Int
    public let refundsPending: Int
    /// Sync with central, as `venue-syncd` last recorded it.
    public let sync: SyncStatus
    /// Maintenance mode, here or from head office.
    public let maintenance: MaintenanceState
    /// The zone people read its times in (``NodeTimeZone``).
    public let timezone: String
    /// For that zone and each venue's, the abbreviations its times carry now and in the coming
    /// months, by offset from UTC in seconds (`"-12600": "NST"`): pages that format times
    /// themselves name the zone as the node's messages do.
    public let timezoneAbbreviations: [String: [String: String]]
}

extension VenueNode {
    /// Counts of what is waiting (one snapshot) and the sync state (another).
    public func status() throws -> NodeStatus {
        let settings = try settings()
        let sync = try sync.status()
        let now = clock.now()
        return try database.read {
            let cursor = try SyncState(db: database).integer(.acknowledgedSeq) ?? 0
            func count(_ sql: String, _ arguments: [any SQLValueConvertible] = []) throws -> Int {
                try database.scalar(sql, arguments) ?? 0
            }
            let timezone = try NodeTimeZone.of(database)
            return NodeStatus(
                nodeID: settings.nodeID, schemaVersion: try NodeSchema.migrator.status(database).version,
                currency: settings.currency,
                events: try count("SELECT count(*) FROM event"), orders: try count("SELECT count(*) FROM orders"),
                activeHolds: try count("SELECT count(*) FROM hold WHERE status = 'active'"),
                outboxPending: try count("SELECT count(*) FROM sync_outbox WHERE seq > ?", [cursor]),
                notificationsPending: try count("SELECT count(*) FROM notification WHERE status = 'pending'"),
                notificationsFailed: try count("SELECT count(*) FROM notification WHERE status = 'failed'"),
                refundsPending: try count("SELECT count(*) FROM refund WHERE status = 'pending'"), sync: sync,
                maintenance: try Maintenance.state(database), timezone: timezone,
                timezoneAbbreviations: try Self.abbreviations(
                    zones: [timezone] + database.rows("SELECT DISTINCT timezone FROM venue").map { try $0.get(0) },
                    around: now))
        }
    }

    private static func abbreviations(zones: [String], around now: Timestamp) -> [String: [String: String]] {
        var named = [String: [String: String]]()
        for zone in zones where named[zone] == nil {
            guard let local = LocalTime(zone: zone) else { continue }
            named[zone] = Dictionary(
                uniqueKeysWithValues: local.abbreviations(around: now).map { (String($0.key), $0.value) })
        }
        return named
    }
}
