import EdgeCrypto
import MySQLClient
import SyncWire

/// A seat's place in a node's allocation at central: `adding` while a proposal that gives it to the
/// node waits for the node's answer, `allocated` once in force, `removing` while a proposal that
/// takes it away waits (the node still owns it meanwhile).
public enum SeatAllocationState: String, Sendable, Codable, CaseIterable, SQLTextEnum {
    case adding
    case allocated
    case removing
}

/// Where a proposed allocation stands: sent, or answered by the node.
public enum ProposalStatus: String, Sendable, Codable, CaseIterable, SQLTextEnum {
    case pending, accepted, rejected
}

/// A node's answers to allocation proposals, applied inside the push transaction that carries them.
struct AllocationAnswers {
    let connection: MySQLConnection

    /// Applies an answer when it answers the proposal pending here: the same version, and the same
    /// quota and seats when the answer names them (every protocol 3 answer does). Any other answer
    /// — to an older proposal, or one a node sends again after central was restored from a backup,
    /// under a number central has handed out since for something else — changes nothing.
    func apply(_ response: AllocationResponseRecord, now: Timestamp) throws {
        let key: [any SQLValueConvertible] = [response.eventID, response.categoryCode, response.nodeID]
        guard
            let row = try connection.row(
                """
                SELECT proposed_version, proposed_quota, proposal_status FROM allocation
                WHERE event_id = ? AND category_code = ? AND node_id = ? FOR UPDATE
                """, key)?.decode(Proposal.self),
            row.proposalStatus == .pending, row.proposedVersion == Int64(response.version)
        else { return }
        if let quota = response.quota, quota != row.proposedQuota { return }
        if let digest = response.seatsDigest {
            let seats = try connection.rows(
                """
                SELECT seat_label FROM allocation_seat WHERE event_id = ? AND category_code = ? AND node_id = ?
                  AND state IN ('\(SeatAllocationState.allocated)', '\(SeatAllocationState.adding)')
                """, key
            ).map { try $0.get(0, as: String.self) }
            guard digest == Self.seatsDigest(seats) else { return }
        }
        if response.accepted {
            try connection.execute(
                """
                UPDATE allocation SET quota = proposed_quota, version = proposed_version, proposal_status = 'accepted', updated_at = ?
                WHERE event_id = ? AND category_code = ? AND node_id = ?
                """, [now.sqlText] + key)
            try connection.execute(
                "DELETE FROM allocation_seat WHERE event_id = ? AND category_code = ? AND node_id = ? AND state = '\(SeatAllocationState.removing)'",
                key)
            try connection.execute(
                "UPDATE allocation_seat SET state = '\(SeatAllocationState.allocated)' WHERE event_id = ? AND category_code = ? AND node_id = ? AND state = '\(SeatAllocationState.adding)'",
                key)
        } else {
            try connection.execute(
                """
                UPDATE allocation SET proposal_status = 'rejected', proposal_error = ?, updated_at = ?
                WHERE event_id = ? AND category_code = ? AND node_id = ?
                """, [SyncLimits.clip(response.reason ?? "rejected", to: 500), now.sqlText] + key)
            try connection.execute(
                "DELETE FROM allocation_seat WHERE event_id = ? AND category_code = ? AND node_id = ? AND state = '\(SeatAllocationState.adding)'",
                key)
            try connection.execute(
                "UPDATE allocation_seat SET state = '\(SeatAllocationState.allocated)' WHERE event_id = ? AND category_code = ? AND node_id = ? AND state = '\(SeatAllocationState.removing)'",
                key)
        }
    }

    /// The digest a node's answer names seats by (``AllocationResponseRecord/seatsDigest``).
    static func seatsDigest(_ seats: [String]) -> String {
        Hex.encode(SHA256.hash(Array(AllocationResponseRecord.seatsDigestText(seats).utf8)))
    }
}

/// The proposal of an allocation.
private struct Proposal: Decodable {
    let proposedVersion: Int64?
    let proposedQuota: Int?
    let proposalStatus: ProposalStatus?
}
