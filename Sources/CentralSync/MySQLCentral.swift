import Foundation
import MySQLClient
import SyncWire

/// Central over MySQL, as a node's daemon talks to it: the ``CentralEndpoint`` contract.
///
/// Owns one connection, opened on first use and dropped when it breaks or fails for any reason but
/// contention (``needsNewSession(_:)``), so each retry of an operational error runs on a new
/// session. Each new connection is
/// first checked for compatibility (central's schema at least ``SyncProtocolVersion/minimumCentralSchema``
/// and `sync_protocol` accepting this build's version). When a connection was lost mid-work (a
/// frozen network), the server may keep that session and its locks until its idle timeout: the
/// next connection to the same server ends it (`KILL CONNECTION`), so the node is not locked out
/// by its own ghost. Each connection also reads central's identity and, once the node has joined
/// a central (``expectedIdentity``), refuses one that shows another. Every MySQL error becomes a
/// ``SyncFailure`` with a mode and a cause, here. Used from the sync thread only.
///
/// With a cluster's members in the URL, a connection goes to the first member that is ready and
/// writable, and stays there. When that member is lost mid-work (the connection dropped, or the
/// member left the primary component: 1047) or turns read-only, the work is retried at once on
/// another member, starting with the one after it in the URL; work is idempotent at central, so
/// a batch whose COMMIT was lost is skipped there as a replay; `central.failover` is told only when
/// the work did move. While every member is read-only (the whole cluster rolled back), the
/// session on the read-only member is kept and the others are looked at again only every
/// ``writableMemberLookInterval``, so a rollback does not become a storm of connections from every
/// venue. A deadlock (on Galera also a certification failure, which the server reports as one) is
/// retried at once a few times.
public final class MySQLCentral: CentralEndpoint {
    /// Where central is.
    public let configuration: MySQLConfiguration
    /// Told about connection events worth a log line (`central.connected`, `central.failover`,
    /// `central.contention_retry`, `central.orphan_ended`).
    public var onEvent: (String, [String: String]) -> Void = { _, _ in }
    /// The central the node joined; a live connection to another is dropped when this is set.
    public var expectedIdentity: String? {
        didSet {
            if let expectedIdentity, connection != nil, connectedIdentity?.id != expectedIdentity { connection = nil }
        }
    }
    private var connection: MySQLConnection?
    private var connectedIdentity: CentralIdentity?
    private var orphan: (id: UInt64, server: String)?
    /// The member the next connection tries first (nil: the URL's first).
    private var startWith: MySQLConfiguration.Member?
    /// The member last connected to.
    private var lastMember: MySQLConfiguration.Member?

    /// The member central was last reached on (`host:port` as the URL names it).
    public var member: String? { lastMember?.description }

    /// How many times a deadlock or certification failure is retried at once before the cycle fails.
    static let contentionRetries = 3
    /// Deadlocks and certification failures retried at once so far (for the benchmark).
    public private(set) var contentionRetried = 0
    /// Times the work moved to another member so far.
    public private(set) var failovers = 0
    /// How often a node on a read-only member looks for a writable one again (a cluster's URL).
    public var writableMemberLookInterval: Duration = .seconds(30)
    /// When the members were last looked at for a writable one after a read-only refusal.
    private var lookedForWritableMember: ContinuousClock.Instant?

    public init(configuration: MySQLConfiguration) { self.configuration = configuration }

    public func identity() throws -> String {
        try withConnection { _ in
            guard let identity = connectedIdentity else {
                throw SyncFailure(mode: .unreachable, cause: "central", message: "central's identity was not read")
            }
            return identity.id
        }
    }

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
        var failingOver: (from: MySQLConfiguration.Member, error: MySQLError)?
        var failedOver = false
        var contention = 0
        while true {
            var working: MySQLConnection?
            do {
                let live = try connection ?? connect()
                working = live
                if let from = failingOver?.from, let error = failingOver?.error, live.member != from {
                    failovers += 1
                    onEvent(
                        "central.failover",
                        ["from": from.description, "cause": error.kind.rawValue, "error": error.message])
                }
                failingOver = nil
                return try body(live)
            } catch let error as MySQLError {
                let cluster = configuration.members.count > 1
                let keepReadOnlySession = cluster && error.kind == .readOnly && working != nil && !timeToLookAgain()
                if error.breaksConnection, let lost = connection { orphan = (lost.connectionID, lost.serverIdentity) }
                if Self.needsNewSession(error), !keepReadOnlySession { connection = nil }
                if let working, cluster, error.breaksConnection || (error.kind == .readOnly && !keepReadOnlySession) {
                    if error.breaksConnection { startWith = configuration.member(after: working.member) }
                    if !failedOver {
                        failedOver = true
                        failingOver = (working.member, error)
                        continue
                    }
                }
                if error.kind == .deadlock, contention < Self.contentionRetries {
                    contention += 1
                    contentionRetried += 1
                    onEvent("central.contention_retry", ["attempt": String(contention), "error": error.message])
                    // Jittered, so that two nodes whose transactions collided do not collide again.
                    usleep(UInt32.random(in: 2_000...20_000) * UInt32(contention))
                    continue
                }
                throw Self.failure(error)
            } catch let failure as SyncFailure {
                throw failure
            } catch {
                throw SyncFailure(mode: .unreachable, cause: "central", message: String(describing: error))
            }
        }
    }

    /// True when a read-only refusal should send the node looking for a writable member: the
    /// first time, then once every ``writableMemberLookInterval``.
    private func timeToLookAgain() -> Bool {
        let now = ContinuousClock.now
        if let last = lookedForWritableMember, now - last < writableMemberLookInterval { return false }
        lookedForWritableMember = now
        return true
    }

    private func connect() throws -> MySQLConnection {
        let live = try MySQLConnection(configuration, startingWith: startWith)
        startWith = live.member
        try Self.checkCompatibility(live)
        let identity = try Self.checkIdentity(live, expected: expectedIdentity, configuration: configuration)
        if let orphan, orphan.server == live.serverIdentity, orphan.id != live.connectionID {
            // The server may already have ended it (1094): nothing to do then.
            if (try? live.kill(connection: orphan.id)) != nil {
                onEvent("central.orphan_ended", ["session": String(orphan.id), "server": orphan.server])
            }
        }
        orphan = nil
        connection = live
        connectedIdentity = identity
        var fields = [
            "server": live.serverIdentity, "session": String(live.connectionID), "central": identity.id,
            "member": live.member.description,
        ]
        if let cluster = live.memberState.cluster { fields["cluster"] = "\(cluster.nodeName) of \(cluster.size)" }
        if !live.skippedMembers.isEmpty {
            fields["skipped"] = live.skippedMembers.map(\.description).joined(separator: "; ")
        }
        if let lastMember, lastMember != live.member { fields["was"] = lastMember.description }
        lastMember = live.member
        onEvent("central.connected", fields)
        return live
    }

    /// Central's identity, checked against the one the node joined: another is `incompatible`
    /// (cause `identity`) with both named, and how to move the node on purpose.
    static func checkIdentity(_ connection: MySQLConnection, expected: String?, configuration: MySQLConfiguration)
        throws -> CentralIdentity
    {
        guard let identity = try CentralIdentity.read(connection) else {
            throw SyncFailure(
                mode: .incompatible, cause: "schema",
                message: "central has no identity (central_identity is empty): run 'central migrate' with the "
                    + "central tool of this release or later")
        }
        if let expected, identity.id != expected {
            throw SyncFailure(
                mode: .incompatible, cause: "identity",
                message: "\(configuration.description) is central \(identity.id) (made \(identity.createdAt)), "
                    + "not central \(expected), which this node joined: check CENTRAL_URL; to move this node to that "
                    + "central on purpose, stop venue-syncd and run 'boxoffice sync rejoin \(identity.id)'")
        }
        return identity
    }

    /// Throws `incompatible` unless central's schema is new enough for this build and accepts its
    /// protocol version. A central migrated past this build keeps serving it while it accepts the version.
    static func checkCompatibility(_ connection: MySQLConnection) throws {
        let tables: Int =
            try connection.scalar(
                """
                SELECT COUNT(*) FROM information_schema.tables
                WHERE table_schema = DATABASE() AND table_name IN ('schema_migrations', 'sync_protocol')
                """) ?? 0
        let version: Int = tables > 0 ? try connection.scalar("SELECT COUNT(*) FROM schema_migrations") ?? 0 : 0
        let needed = SyncProtocolVersion.minimumCentralSchema
        guard tables == 2, version >= needed else {
            throw SyncFailure(
                mode: .incompatible, cause: "schema",
                message: "central schema is at version \(version); this node needs at "
                    + "least version \(needed): run 'central migrate' with the central tool of this release or later")
        }
        let speaks = SyncProtocolVersion.current
        guard
            let window = try connection.row("SELECT min_version, max_version FROM sync_protocol WHERE id = 1")?.decode(
                ProtocolWindow.self),
            let low = window.minVersion, let high = window.maxVersion
        else {
            throw SyncFailure(
                mode: .incompatible, cause: "protocol",
                message: "central publishes no sync protocol versions (sync_protocol is empty)")
        }
        // An inverted window (a hand-edited row) accepts no version; it must not reach `low...high`,
        // which traps when low > high.
        guard low <= high else {
            throw SyncFailure(
                mode: .incompatible, cause: "protocol",
                message: "central publishes an empty sync protocol window (min_version \(low) > max_version "
                    + "\(high)); this node speaks \(speaks): fix central's sync_protocol row")
        }
        guard (low...high).contains(speaks) else {
            throw SyncFailure(
                mode: .incompatible, cause: "protocol",
                message: "central accepts sync protocol \(low)–\(high); this node speaks "
                    + "\(speaks): upgrade \(speaks < low ? "this node" : "central")")
        }
    }

    /// True unless the error is contention (a deadlock, a lock wait), after which the session is
    /// as good as before. After any other operational error the next attempt starts a new session:
    /// the server fixes some of a session's state when it connects (MariaDB its database-level
    /// grants, a cluster member its role), so a grant given back would go unseen on the old one.
    static func needsNewSession(_ error: MySQLError) -> Bool {
        error.kind != .deadlock && error.kind != .lockWaitTimeout
    }

    /// The mode and cause a MySQL error means for a node. Contention (a deadlock, a lock wait)
    /// leaves central writable: the work is retried at the next interval.
    static func failure(_ error: MySQLError) -> SyncFailure {
        let mode: CentralMode =
            switch error.kind {
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
        let state = try connection.row("SELECT epoch, acknowledged_seq FROM node WHERE id = ?", [node])?.decode(
            NodePosition.self)
        let records = try connection.rows(
            """
            SELECT \(InboxEntry.columns) FROM sync_inbox WHERE node_id = ? AND seq > ? ORDER BY seq LIMIT ?
            """, [node, seq, limit]
        ).map { row -> OutboxRecord in
            let held = try row.decode(InboxEntry.self)
            return OutboxRecord(
                seq: held.seq, type: held.recordType, entityID: held.entityID, payload: held.payload ?? "",
                createdAt: held.createdAt ?? Timestamp(milliseconds: 0), withheldBytes: held.payload == nil ? 0 : nil)
        }
        return HeldRecords(
            centralEpoch: state?.epoch ?? 0, acknowledgedSeq: state?.acknowledgedSeq ?? 0,
            records: records, allocations: records.count < limit ? try allocations(node: node) : [])
    }

    private func allocations(node: String) throws -> [AllocationInForce] {
        var seats = [String: [String]]()
        for row in try connection.rows(
            """
            SELECT event_id, category_code, seat_label FROM allocation_seat WHERE node_id = ? AND state IN ('\(SeatAllocationState.allocated)', '\(SeatAllocationState.removing)')
            ORDER BY event_id, category_code, seat_label
            """, [node]
        ).map({ try $0.decode(AllocatedSeat.self) }) {
            seats["\(row.eventID)/\(row.categoryCode)", default: []].append(row.seatLabel)
        }
        return try connection.rows(
            """
            SELECT a.event_id, a.category_code, a.version, a.quota, c.kind FROM allocation a
            JOIN price_category c ON c.event_id = a.event_id AND c.code = a.category_code
            WHERE a.node_id = ? AND a.version > 0 ORDER BY a.event_id, a.category_code
            """, [node]
        ).map { row in
            let allocation = try row.decode(AllocatedQuota.self)
            return AllocationInForce(
                eventID: allocation.eventID, categoryCode: allocation.categoryCode, version: allocation.version,
                quota: allocation.quota,
                seats: allocation.kind == .seated
                    ? seats["\(allocation.eventID)/\(allocation.categoryCode)"] ?? [] : nil)
        }
    }
}

/// The protocol versions central accepts.
private struct ProtocolWindow: Decodable {
    let minVersion: Int?
    let maxVersion: Int?
}

/// Where a node's pushes stand at central.
private struct NodePosition: Decodable {
    let epoch: Int64
    let acknowledgedSeq: Int64
}

/// A seat allocated to a node.
private struct AllocatedSeat: Decodable {
    let eventID: String
    let categoryCode: String
    let seatLabel: String
}

/// An allocation in force for a node.
private struct AllocatedQuota: Decodable {
    let eventID: String
    let categoryCode: String
    let version: Int
    let quota: Int
    let kind: CategoryKind
}
