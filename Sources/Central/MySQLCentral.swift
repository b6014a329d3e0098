import MySQLClient
import SyncWire

/// Central over MySQL, as a node's daemon talks to it: the ``CentralEndpoint`` contract.
///
/// Owns one connection, opened on first use and dropped when it breaks. Each new connection is
/// first checked for compatibility (central's schema at least ``SyncProtocolVersion/minimumCentralSchema``
/// and `sync_protocol` accepting this build's version). When a connection was lost mid-work (a
/// frozen network), the server may keep that session and its locks until its idle timeout: the
/// next connection to the same server ends it (`KILL CONNECTION`), so the node is not locked out
/// by its own ghost. Every MySQL error becomes a ``SyncFailure`` with a mode and a cause, here.
/// Used from the sync thread only.
public final class MySQLCentral: CentralEndpoint {
    /// Where central is.
    public let configuration: MySQLConfiguration
    /// Told about connection events worth a log line (`central.connected`, `central.orphan_ended`).
    public var onEvent: (String, [String: String]) -> Void = { _, _ in }
    private var connection: MySQLConnection?
    private var orphan: (id: UInt64, server: String)?

    public init(configuration: MySQLConfiguration) { self.configuration = configuration }

    public func push(_ batch: PushBatch) throws -> PushResult {
        try withConnection { try PushReceiver(connection: $0).apply(batch) }
    }

    public func changes(after seq: Int64, node: String, limit: Int) throws -> ChangePage {
        try withConnection { try ChangeFeed(connection: $0).changes(after: seq, node: node, limit: limit) }
    }

    public func heldRecords(node: String, after seq: Int64, limit: Int) throws -> HeldRecords {
        try withConnection { try HeldRecordsQuery(connection: $0).page(node: node, after: seq, limit: limit) }
    }

    public func parkedCount(node: String) throws -> Int {
        try withConnection { try $0.scalar("SELECT records_parked FROM node WHERE id = ?", [node]) ?? 0 }
    }

    /// Drops the connection (its state is unknown after an error the caller could not classify).
    public func reset() { connection = nil }

    private func withConnection<T>(_ body: (MySQLConnection) throws -> T) throws -> T {
        do {
            let live = try connection ?? connect()
            return try body(live)
        } catch let error as MySQLError {
            if error.breaksConnection, let lost = connection { orphan = (lost.connectionID, lost.serverIdentity) }
            if error.breaksConnection { connection = nil }
            throw Self.failure(error)
        } catch let failure as SyncFailure {
            throw failure
        } catch {
            throw SyncFailure(mode: .unreachable, cause: "central", message: String(describing: error))
        }
    }

    private func connect() throws -> MySQLConnection {
        let live = try MySQLConnection(configuration)
        try Self.checkCompatibility(live)
        if let orphan, orphan.server == live.serverIdentity, orphan.id != live.connectionID {
            // The server may already have ended it (1094): nothing to do then.
            if (try? live.kill(connection: orphan.id)) != nil {
                onEvent("central.orphan_ended", ["session": String(orphan.id), "server": orphan.server])
            }
        }
        orphan = nil
        connection = live
        onEvent("central.connected", ["server": live.serverIdentity, "session": String(live.connectionID)])
        return live
    }

    /// Throws `incompatible` unless central's schema is new enough for this build and accepts its
    /// protocol version. A central migrated past this build keeps serving it while it accepts the version.
    static func checkCompatibility(_ connection: MySQLConnection) throws {
        let tables: Int = try connection.scalar("""
            SELECT COUNT(*) FROM information_schema.tables
            WHERE table_schema = DATABASE() AND table_name IN ('schema_migrations', 'sync_protocol')
            """) ?? 0
        let version: Int = tables > 0 ? try connection.scalar("SELECT COUNT(*) FROM schema_migrations") ?? 0 : 0
        let needed = SyncProtocolVersion.minimumCentralSchema
        guard tables == 2, version >= needed else {
            throw SyncFailure(mode: .incompatible, cause: "schema", message: "central schema is at version \(version); this node needs at "
                              + "least version \(needed): run 'central migrate' with the central tool of this release or later")
        }
        let speaks = SyncProtocolVersion.current
        guard let window = try connection.row("SELECT min_version, max_version FROM sync_protocol WHERE id = 1"),
              let low = try window.get("min_version", as: Int?.self), let high = try window.get("max_version", as: Int?.self) else {
            throw SyncFailure(mode: .incompatible, cause: "protocol", message: "central publishes no sync protocol versions (sync_protocol is empty)")
        }
        guard (low...high).contains(speaks) else {
            throw SyncFailure(mode: .incompatible, cause: "protocol", message: "central accepts sync protocol \(low)–\(high); this node speaks "
                              + "\(speaks): upgrade \(speaks < low ? "this node" : "central")")
        }
    }

    /// The mode and cause a MySQL error means for a node. Contention (a deadlock, a lock wait)
    /// leaves central writable: the work is retried at the next interval.
    static func failure(_ error: MySQLError) -> SyncFailure {
        let mode: CentralMode = switch error.kind {
        case .readOnly: .readOnly
        case .deadlock, .lockWaitTimeout: .writable
        default: .unreachable
        }
        return SyncFailure(mode: mode, cause: error.kind.rawValue, message: error.description)
    }
}

/// What central holds of one node's own records: how a restored node takes its facts back.
struct HeldRecordsQuery {
    let connection: MySQLConnection

    /// One page of records after `seq`; the allocations in force come with the last page.
    /// A record central kept no payload for (pushed before protocol 2, or withheld as too large)
    /// comes with an empty payload and ``OutboxRecord/withheldBytes`` 0.
    func page(node: String, after seq: Int64, limit: Int) throws -> HeldRecords {
        let state = try connection.row("SELECT epoch, acknowledged_seq FROM node WHERE id = ?", [node])
        let records = try connection.rows("""
            SELECT seq, record_type, entity_id, payload, created_at FROM sync_inbox WHERE node_id = ? AND seq > ? ORDER BY seq LIMIT ?
            """, [node, seq, limit]).map { row -> OutboxRecord in
            let payload: String? = try row.get("payload")
            return OutboxRecord(seq: try row.get("seq"), type: try row.get("record_type"), entityID: try row.get("entity_id"),
                                payload: payload ?? "",
                                createdAt: try row.get("created_at", as: String?.self).flatMap(Timestamp.init(sqlText:)) ?? Timestamp(milliseconds: 0),
                                withheldBytes: payload == nil ? 0 : nil)
        }
        return HeldRecords(centralEpoch: try state?.get("epoch") ?? 0, acknowledgedSeq: try state?.get("acknowledged_seq") ?? 0,
                           records: records, allocations: records.count < limit ? try allocations(node: node) : [])
    }

    private func allocations(node: String) throws -> [AllocationInForce] {
        var seats = [String: [String]]()
        for row in try connection.rows("""
            SELECT event_id, category_code, seat_label FROM allocation_seat WHERE node_id = ? AND state IN ('allocated', 'removing')
            ORDER BY event_id, category_code, seat_label
            """, [node]) {
            seats["\(try row.get("event_id", as: String.self))/\(try row.get("category_code", as: String.self))", default: []]
                .append(try row.get("seat_label"))
        }
        return try connection.rows("""
            SELECT a.event_id, a.category_code, a.version, a.quota, c.kind FROM allocation a
            JOIN price_category c ON c.event_id = a.event_id AND c.code = a.category_code
            WHERE a.node_id = ? AND a.version > 0 ORDER BY a.event_id, a.category_code
            """, [node]).map { row in
            let event: String = try row.get("event_id"), category: String = try row.get("category_code")
            let seated = try row.get("kind", as: String.self) == "seated"
            return AllocationInForce(eventID: event, categoryCode: category, version: try row.get("version"), quota: try row.get("quota"),
                                     seats: seated ? seats["\(event)/\(category)"] ?? [] : nil)
        }
    }
}
