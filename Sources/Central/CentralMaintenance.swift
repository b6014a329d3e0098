import MySQLClient
import SyncWire

/// Where head office last left a node's maintenance mode.
public struct NodeMaintenanceView: Sendable, Codable, Equatable {
    /// The node, or `*` for the instruction to every node.
    public let nodeID: String
    public let enabled: Bool
    public let reason: String?
    public let by: String
    /// The change number nodes pull it as.
    public let changeSeq: Int64
    public let at: Timestamp
    /// The zone people read `at` in (the node's venues'; for `*`, every venue's).
    public let timezone: String
}

/// Head office's switch of nodes' maintenance mode: an instruction in the change feed that each
/// node applies when it next pulls. The last instruction a node pulls wins, so `--all on` then
/// `--node A off` leaves every node but A in maintenance.
public struct CentralMaintenance {
    let connection: MySQLConnection

    public init(connection: MySQLConnection) { self.connection = connection }

    /// Publishes the instruction for `nodeID` (nil: every node), from the MySQL account running it.
    public func set(nodeID: String?, enabled: Bool, reason: String?, now: Timestamp) throws -> NodeMaintenanceView {
        if let nodeID, !CodeRule.allows(nodeID) {
            throw CentralError.invalidInput("node id must be \(CodeRule.description)")
        }
        let reason = reason.map { SyncLimits.clip($0, to: 500) }
        if enabled, (reason ?? "").isEmpty { throw CentralError.invalidInput("maintenance needs a reason") }
        return try connection.transaction {
            let account: String = try connection.scalar("SELECT CURRENT_USER()") ?? "central"
            let change = MaintenanceChange(nodeID: nodeID, enabled: enabled, reason: reason, by: account)
            let seq = try ChangeFeed(connection: connection).append(
                .nodeMaintenance, entityID: nodeID ?? "*", node: nodeID, payload: try JSONText.encode(change), now: now)
            return NodeMaintenanceView(
                nodeID: nodeID ?? "*", enabled: enabled, reason: reason, by: account, changeSeq: seq, at: now,
                timezone: try NodeTimeZones(connection: connection).zone(of: nodeID ?? "*"))
        }
    }

    /// The last instruction per target (`*` and each node named), oldest first.
    public func instructions() throws -> [NodeMaintenanceView] {
        var latest = [String: NodeMaintenanceView]()
        let zones = try NodeTimeZones(connection: connection)
        for row in try connection.rows(
            "SELECT seq, payload, created_at FROM change_log WHERE change_type = ? ORDER BY seq",
            [ChangeType.nodeMaintenance.rawValue])
        {
            let entry = try row.decode(LoggedChange.self)
            let change = try JSONText.decode(MaintenanceChange.self, from: entry.payload)
            latest[change.nodeID ?? "*"] = NodeMaintenanceView(
                nodeID: change.nodeID ?? "*", enabled: change.enabled, reason: change.reason, by: change.by,
                changeSeq: entry.seq, at: entry.createdAt, timezone: zones.zone(of: change.nodeID ?? "*"))
        }
        return latest.values.sorted { $0.changeSeq < $1.changeSeq }
    }

}

/// A row of `change_log`.
private struct LoggedChange: Decodable {
    let seq: Int64
    let payload: String
    let createdAt: Timestamp
}
