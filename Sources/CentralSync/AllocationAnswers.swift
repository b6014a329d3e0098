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
    /// The push's applier, which records the conflicts an adopted allocation meets.
    let applier: RecordApplier

    /// Applies an answer: to the proposal pending here when it answers that one (``answer(_:key:now:)``),
    /// then the node's allocation in force it carries when that is newer than central's
    /// (``adopt(_:of:key:now:)``).
    func apply(_ response: AllocationResponseRecord, now: Timestamp) throws {
        let key: [any SQLValueConvertible] = [response.eventID, response.categoryCode, response.nodeID]
        try answer(response, key: key, now: now)
        if let held = response.inForce { try adopt(held, of: response, key: key, now: now) }
    }

    /// Applies an answer when it answers the proposal pending here: the same version, and the same
    /// quota and seats when the answer names them (every protocol 3 answer does). Any other answer
    /// — to an older proposal, or one a node sends again after central was restored from a backup,
    /// under a number central has handed out since for something else — changes no proposal.
    private func answer(_ response: AllocationResponseRecord, key: [any SQLValueConvertible], now: Timestamp) throws {
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

    /// Adopts what the node sells under when its version is above the one in force here: central,
    /// restored from a backup, lost the answers that put it in force (or handed out that number
    /// again with its clock behind), and the node sells under it whatever central holds. The next
    /// proposal is then numbered above it. A pending proposal stays pending, its seats still
    /// reserved. A seat another node holds here is left to that node and recorded as a conflict
    /// (`seat_allocated_twice`) for reconciliation. A version no central can have handed out by now
    /// (``CentralVersion/isPlausible(_:at:)``) is a data error: the record is parked.
    private func adopt(
        _ held: AllocationInForce, of response: AllocationResponseRecord, key: [any SQLValueConvertible],
        now: Timestamp
    ) throws {
        let entity = "\(response.eventID)/\(response.categoryCode)"
        guard held.eventID == response.eventID, held.categoryCode == response.categoryCode else {
            throw UnappliableRecord(
                reason: "the allocation in force of an answer for \(entity) names \(held.eventID)/\(held.categoryCode)")
        }
        let version = Int64(held.version)
        let current = try connection.row(
            "SELECT version, proposal_status FROM allocation WHERE event_id = ? AND category_code = ? AND node_id = ? FOR UPDATE",
            key)?.decode(InForce.self)
        guard version > current?.version ?? 0 else { return }
        guard CentralVersion.isPlausible(version, at: now) else {
            throw UnappliableRecord(
                reason: "allocation in force v\(version) of \(entity) at \(response.nodeID) is beyond any version "
                    + "central can have handed out (its clock \(now) plus a day)")
        }
        guard
            let kind = try connection.scalar(
                "SELECT kind FROM price_category WHERE event_id = ? AND code = ?",
                [response.eventID, response.categoryCode], as: CategoryKind.self)
        else { return }
        let quota = kind == .seated ? held.seats?.count ?? held.quota : held.quota
        if current == nil {
            try connection.execute(
                """
                INSERT INTO allocation (event_id, category_code, node_id, quota, version, updated_at) VALUES (?, ?, ?, ?, ?, ?)
                """, key + [quota, version, now.sqlText])
        } else {
            try connection.execute(
                """
                UPDATE allocation SET quota = ?, version = ?, updated_at = ? WHERE event_id = ? AND category_code = ? AND node_id = ?
                """, [quota, version, now.sqlText] + key)
        }
        if kind == .seated, let seats = held.seats {
            try adoptSeats(Set(seats), of: response, pending: current?.proposalStatus == .pending, key: key)
        }
    }

    /// The node's seats in force become `allocated`; with a proposal pending, the seats it adds stay
    /// `adding` and those it takes away become `removing`, so that its answer still applies as it
    /// would have.
    private func adoptSeats(
        _ seats: Set<String>, of response: AllocationResponseRecord, pending: Bool, key: [any SQLValueConvertible]
    ) throws {
        var states = [String: SeatAllocationState]()
        for row in try connection.rows(
            "SELECT seat_label, state FROM allocation_seat WHERE event_id = ? AND category_code = ? AND node_id = ? FOR UPDATE",
            key)
        {
            states[try row.get("seat_label")] = try row.get("state", as: SeatAllocationState.self)
        }
        // What the pending proposal gives the node, once accepted.
        let proposed = Set(states.filter { $0.value != .removing }.keys)
        for (label, state) in states {
            let next: SeatAllocationState? =
                switch (seats.contains(label), pending && proposed.contains(label)) {
                case (true, true),
                    (true, false) where !pending:
                    .allocated
                case (true, false): .removing
                case (false, true): .adding
                case (false, false): nil
                }
            if let next, next != state {
                try connection.execute(
                    "UPDATE allocation_seat SET state = ? WHERE event_id = ? AND seat_label = ?",
                    [next, response.eventID, label])
            } else if next == nil {
                try connection.execute(
                    "DELETE FROM allocation_seat WHERE event_id = ? AND seat_label = ?", [response.eventID, label])
            }
        }
        for label in seats.subtracting(states.keys).sorted() {
            if let owner: String = try connection.scalar(
                "SELECT node_id FROM allocation_seat WHERE event_id = ? AND seat_label = ? FOR UPDATE",
                [response.eventID, label])
            {
                try applier.conflict(
                    "seat_allocated_twice", entity: "\(response.eventID)/\(label)",
                    detail: "node \(response.nodeID) sells seat \(label) under its allocation in force; central holds "
                        + "it for node \(owner)")
                continue
            }
            try connection.execute(
                "INSERT INTO allocation_seat (event_id, seat_label, category_code, node_id, state) VALUES (?, ?, ?, ?, ?)",
                [
                    response.eventID, label, response.categoryCode, response.nodeID,
                    pending ? SeatAllocationState.removing : .allocated,
                ])
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

/// The allocation in force at central and whether a proposal is pending.
private struct InForce: Decodable {
    let version: Int64
    let proposalStatus: ProposalStatus?
}
