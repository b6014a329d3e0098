import CentralSync
import MySQLClient
import SyncWire

/// A node head office retired: when, why and by which MySQL account.
public struct NodeRetirement: Sendable, Codable, Equatable {
    /// Central's clock when it was retired.
    public let at: Timestamp
    public let reason: String?
    public let by: String
}

/// The last `central nodes reinstate` of a node: when, and by which MySQL account.
public struct NodeReinstatement: Sendable, Codable, Equatable {
    /// Central's clock when it was reinstated.
    public let at: Timestamp
    public let by: String
}

/// Head office's retirement of nodes that are gone for good (`central nodes retire`): a venue
/// closed, a box replaced under a new node id.
///
/// A retired node is left out of everything that watches for silence — the fleet metrics' sync
/// mode reads `retired`, so `VenueNodeSilent` does not fire; reconcile does not report it silent
/// or its clock skewed — and gets no new allocation. Nothing of its history is touched: its
/// records, parked records and sequence checks stay. Central never refuses a node's facts: a
/// retired node that pushes again (or sends a heartbeat) has its records applied as any node's,
/// and that contact makes it active again by itself (``retiredSQL``), whatever the node's build.
public struct NodeRetirements {
    let connection: MySQLConnection

    public init(connection: MySQLConnection) { self.connection = connection }

    /// The classes of reconcile's discrepancies (`DiscrepancyClass`) whose checks leave a retired
    /// node out: retiring a node resolves its open ones at once, as the next run would, so no
    /// alert about a node just retired fires in between.
    public static let unwatchedClasses = ["node_silent", "node_clock_skew"]

    /// The longest reason, in code points: one line of `central nodes`.
    public static let reasonLimit = 200

    /// SQL true for a row of `node` that is retired: retired, not reinstated since, and not heard
    /// from since. The one definition every check shares; contact after the retirement ends it, so
    /// a node of any build that comes back is active again without writing anything.
    public static let retiredSQL =
        "(retired_at IS NOT NULL AND (reinstated_at IS NULL OR reinstated_at < retired_at)"
        + " AND (last_seen_at IS NULL OR last_seen_at <= retired_at))"

    /// Retires `node`. Refused (unless `force`) while its last push reported records it still
    /// held for central, or central holds records of it parked: retiring it then would hide sales
    /// central has not got, or has not applied.
    public func retire(node: String, reason: String?, force: Bool) throws -> NodeReport {
        if let reason { try Self.check(reason) }
        let account = try account()
        try connection.transaction {
            let row = try lockedRow(node)
            if let retired = row.retirement {
                throw CentralError.rejected(
                    code: "already_retired",
                    message: "node \(node) is already retired (since \(retired.at)"
                        + (retired.reason.map { ": \($0)" } ?? "") + ")")
            }
            if !force, row.outboxPending > 0 {
                throw CentralError.rejected(
                    code: "records_waiting",
                    message: "node \(node) still held \(row.outboxPending) record(s) for central at its last push"
                        + (row.lastSeenAt.map { " (\($0))" } ?? "")
                        + ": retiring it would hide sales central has not got. Bring the box back until "
                        + "'central nodes' shows its PENDING at 0 (or restore its database on another box under "
                        + "the same node id and let it push)")
            }
            if !force, row.recordsParked > 0 {
                throw CentralError.rejected(
                    code: "records_parked",
                    message: "central holds \(row.recordsParked) record(s) of node \(node) it could not apply: "
                        + "see 'central parked \(node)', fix the cause and apply them with "
                        + "'central parked \(node) --retry' before retiring it")
            }
            // Never before its last contact (a push that committed just before, on a member whose
            // clock is ahead, must not count as contact after the retirement), and after its last
            // reinstatement, which it replaces.
            try connection.execute(
                """
                UPDATE node SET retired_at = GREATEST(?, COALESCE(last_seen_at, ?),
                                                      COALESCE(reinstated_at + INTERVAL 1000 MICROSECOND, ?)),
                                retired_reason = ?, retired_by = ?
                WHERE id = ?
                """, [row.now.sqlText, row.now.sqlText, row.now.sqlText, reason, account, node])
            try connection.execute(
                """
                UPDATE discrepancy SET status = 'resolved', resolved_at = ?
                WHERE node_id = ? AND event_id IS NULL AND status = 'open' AND class IN (?, ?)
                """, [row.now.sqlText, node] + Self.unwatchedClasses)
        }
        return try NodesReport(connection: connection).node(node)
    }

    /// Makes a retired node active again: it is watched for silence and can be allocated to. The
    /// retirement it ends stays recorded beside the reinstatement (when, by which account). A node
    /// that came back by itself (central heard from it after its retirement) is active already:
    /// reinstating it records that head office means it to be back, which ends
    /// `VenueRetiredNodeBack`.
    public func reinstate(node: String) throws -> NodeReport {
        let account = try account()
        try connection.transaction {
            let row = try lockedRow(node)
            guard row.retirement != nil || row.backWithoutReinstatement else {
                throw CentralError.rejected(code: "not_retired", message: "node \(node) is not retired" + row.whyActive)
            }
            // Not before the retirement it ends, whatever the clock of the member that runs it.
            try connection.execute(
                "UPDATE node SET reinstated_at = GREATEST(?, retired_at), reinstated_by = ? WHERE id = ?",
                [row.now.sqlText, account, node])
        }
        return try NodesReport(connection: connection).node(node)
    }

    /// The refusal for an allocation to `node` when it is retired: it can never sell it.
    func refuseAllocation(to node: String) throws {
        guard
            let row = try connection.row(
                "SELECT retired_at, retired_reason FROM node WHERE id = ? AND \(Self.retiredSQL)", [node])
        else { return }
        let at: Timestamp = try row.get("retired_at")
        let reason: String? = try row.get("retired_reason")
        throw CentralError.rejected(
            code: "node_retired",
            message: "node \(node) is retired (since \(at)\(reason.map { ": \($0)" } ?? "")): it can never sell "
                + "an allocation. Allocate to another node, or run 'central nodes reinstate \(node)' if it is coming back"
        )
    }

    /// A reason is one short line: `central nodes` prints it under the table.
    public static func check(_ reason: String) throws {
        guard reason.contains(where: { !$0.isWhitespace }) else {
            throw CentralError.invalidInput("a retirement's reason must say something (or leave it out)")
        }
        guard !reason.unicodeScalars.contains(where: SyncLimits.isControl) else {
            throw CentralError.invalidInput(
                "a retirement's reason must be one line without control characters: 'central nodes' prints it")
        }
        guard SyncLimits.length(reason) <= reasonLimit else {
            throw CentralError.invalidInput(
                "a retirement's reason is at most \(reasonLimit) characters (this one has "
                    + "\(SyncLimits.length(reason))): 'central nodes' prints it on one line")
        }
    }

    /// The MySQL account running the command, as the audit names it.
    private func account() throws -> String {
        SyncLimits.clip(try connection.scalar("SELECT CURRENT_USER()") ?? "central", to: 300)
    }

    /// The node's row, locked against a push in flight, with central's clock; not found when
    /// central never heard from it.
    private func lockedRow(_ node: String) throws -> RetirementRow {
        guard
            let row = try connection.row(
                """
                SELECT outbox_pending, records_parked, last_seen_at, retired_at, retired_reason, retired_by,
                       reinstated_at, reinstated_by, \(Self.retiredSQL) AS retired, NOW(3) AS now
                FROM node WHERE id = ? FOR UPDATE
                """, [node])?.decode(RetirementRow.self)
        else {
            throw CentralError.notFound(
                "no node '\(SyncLimits.clip(node, to: SyncLimits.code))' at central: 'central nodes' lists every node "
                    + "that ever pushed")
        }
        return row
    }
}

/// What retiring or reinstating reads of a node.
private struct RetirementRow: Decodable {
    let outboxPending: Int64
    let recordsParked: Int64
    let lastSeenAt: Timestamp?
    let retiredAt: Timestamp?
    let retiredReason: String?
    let retiredBy: String?
    let reinstatedAt: Timestamp?
    let reinstatedBy: String?
    let retired: Int64
    let now: Timestamp

    /// The reinstatement that ended its last retirement (when, by whom), for a refusal to
    /// reinstate it again; nothing when it was never retired.
    var whyActive: String {
        guard let retiredAt, let reinstatedAt, reinstatedAt >= retiredAt else { return "" }
        return ": it was reinstated at \(reinstatedAt)" + (reinstatedBy.map { " by \($0)" } ?? "")
            + " after its retirement at \(retiredAt)"
    }

    /// Central heard from it after its last retirement, and no reinstatement followed that.
    var backWithoutReinstatement: Bool {
        guard retired == 0, let retiredAt, let lastSeenAt, lastSeenAt > retiredAt else { return false }
        return reinstatedAt.map { $0 < retiredAt } ?? true
    }

    /// The retirement in force, when the node is retired.
    var retirement: NodeRetirement? {
        guard retired != 0, let retiredAt else { return nil }
        return NodeRetirement(at: retiredAt, reason: retiredReason, by: retiredBy ?? "")
    }
}
