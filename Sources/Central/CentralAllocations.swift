import EdgeCrypto
import MySQLClient
import SyncWire

/// What a node should be allowed to sell of one category.
public struct AllocationRequest: Sendable, Equatable {
    public var eventID: String
    public var categoryCode: String
    public var nodeID: String
    /// GA: the number of tickets.
    public var quota: Int?
    /// Seated: `*`, a section, a row (`SECTION-ROW`) or a seat label, each.
    public var seatSelectors: [String]?

    public init(
        eventID: String, categoryCode: String, nodeID: String, quota: Int? = nil, seatSelectors: [String]? = nil
    ) {
        self.eventID = eventID
        self.categoryCode = categoryCode
        self.nodeID = nodeID
        self.quota = quota
        self.seatSelectors = seatSelectors
    }
}

/// A node's allocation of a category as central sees it.
public struct AllocationView: Sendable, Codable, Equatable {
    public let eventID: String
    public let categoryCode: String
    public let nodeID: String
    /// What the node accepted.
    public let quota: Int
    public let version: Int
    /// A proposal the node has not answered, or its answer.
    public let proposedQuota: Int?
    public let proposedVersion: Int?
    public let proposalStatus: ProposalStatus?
    public let proposalError: String?
}

/// Allocations as versioned proposals.
///
/// Central never changes what a node may sell behind its back: it proposes a whole new
/// allocation (a GA quota, or the exact set of seats) with a new version; the node accepts it
/// only if it keeps everything the node already sold or holds, and answers. Until the answer, the
/// larger of the old and proposed quota counts against capacity, and seats being added or removed
/// stay reserved to that node, so no two nodes can ever be allowed the same seat or, together,
/// more than a category's or an event's capacity.
public struct CentralAllocations {
    let connection: MySQLConnection

    public init(connection: MySQLConnection) { self.connection = connection }

    /// Proposes an allocation in its own transaction.
    public func propose(_ request: AllocationRequest, now: Timestamp) throws -> AllocationView {
        try connection.transaction { try proposeInTransaction(request, now: now).view }
    }

    /// Proposes inside the caller's transaction; `changed` is false when the request equals the
    /// allocation in force or the one already proposed.
    func proposeInTransaction(_ request: AllocationRequest, now: Timestamp) throws -> (
        view: AllocationView, changed: Bool
    ) {
        guard
            let event = try connection.row(
                "SELECT venue_id, capacity FROM event WHERE id = ? FOR UPDATE", [request.eventID])?
                .decode(EventRow.self)
        else {
            throw CentralError.notFound("no event '\(request.eventID.prefix(40))' at central")
        }
        guard
            let category = try connection.row(
                "SELECT kind, capacity, sections FROM price_category WHERE event_id = ? AND code = ?",
                [request.eventID, request.categoryCode])?.decode(CategoryRow.self)
        else {
            throw CentralError.notFound("event \(request.eventID) has no category '\(request.categoryCode.prefix(40))'")
        }
        guard CodeRule.allows(request.nodeID) else {
            throw CentralError.invalidInput("node id must be \(CodeRule.description)")
        }
        let current = try connection.row(
            """
            SELECT quota, version, proposed_quota, proposed_version, proposal_status FROM allocation
            WHERE event_id = ? AND category_code = ? AND node_id = ? FOR UPDATE
            """, [request.eventID, request.categoryCode, request.nodeID])?.decode(AllocationRow.self)
        let pending = current?.proposalStatus == .pending
        var targetSeats: [String]?
        let quota: Int
        if category.kind == .seated {
            guard let selectors = request.seatSelectors, !selectors.isEmpty, request.quota == nil else {
                throw CentralError.invalidInput(
                    "\(request.eventID) \(request.categoryCode) is seated: allocate it by seats")
            }
            let seats = try resolveSeats(selectors, venueID: event.venueID, sectionsJSON: category.sections)
            targetSeats = seats
            quota = seats.count
        } else {
            guard let given = request.quota, given >= 0, request.seatSelectors == nil else {
                throw CentralError.invalidInput(
                    "\(request.eventID) \(request.categoryCode) is general admission: allocate it by quota")
            }
            quota = given
        }
        // Unchanged: the same as what is in force (nothing pending) or what is already proposed.
        if let current {
            let comparedQuota = pending ? current.proposedQuota ?? 0 : current.quota
            let comparedSeats = try seatsOf(
                request, states: pending ? ["allocated", "adding"] : ["allocated", "removing"])
            if comparedQuota == quota, targetSeats == nil || Set(targetSeats!) == Set(comparedSeats) {
                return (try view(request), false)
            }
        }
        // A change: a retired node could never answer it, nor sell what it gives.
        try NodeRetirements(connection: connection).refuseAllocation(to: request.nodeID)
        if let current, pending {
            throw CentralError.rejected(
                code: "proposal_pending",
                message: "node \(request.nodeID) has not answered proposal "
                    + "v\(current.proposedVersion ?? 0) for \(request.eventID) \(request.categoryCode) yet")
        }
        try checkCapacity(request, quota: quota, categoryCapacity: category.capacity, eventCapacity: event.capacity)
        if let targetSeats { try reserveSeats(request, target: targetSeats) }
        let version = CentralVersion.next(
            after: Int64(max(current?.version ?? 0, current?.proposedVersion ?? 0)),
            now: try CentralClock.timestamp(try connection.scalar("SELECT NOW(3)") ?? ""))
        try connection.execute(
            """
            INSERT INTO allocation (event_id, category_code, node_id, quota, version, proposed_quota, proposed_version, proposal_status,
                                    proposal_error, updated_at)
            VALUES (?, ?, ?, 0, 0, ?, ?, 'pending', NULL, ?)
            ON DUPLICATE KEY UPDATE proposed_quota = ?, proposed_version = ?, proposal_status = 'pending', proposal_error = NULL, updated_at = ?
            """,
            [
                request.eventID, request.categoryCode, request.nodeID, quota, version, now.sqlText, quota, version,
                now.sqlText,
            ])
        let proposal = AllocationProposal(
            eventID: request.eventID, categoryCode: request.categoryCode, nodeID: request.nodeID,
            version: Int(version), quota: targetSeats == nil ? quota : nil, seats: targetSeats?.sorted())
        try ChangeFeed(connection: connection).append(
            .allocationProposed, entityID: "\(request.eventID)/\(request.categoryCode)",
            node: request.nodeID, payload: try JSONText.encode(proposal), now: now)
        return (try view(request), true)
    }

    /// Other nodes' allocations, counting the larger of accepted and pending, plus this one,
    /// must fit the category and the event.
    private func checkCapacity(_ request: AllocationRequest, quota: Int, categoryCapacity: Int, eventCapacity: Int?)
        throws
    {
        let counted = "GREATEST(quota, CASE WHEN proposal_status = 'pending' THEN proposed_quota ELSE 0 END)"
        let others: Int =
            try connection.scalar(
                """
                SELECT COALESCE(SUM(\(counted)), 0) FROM allocation WHERE event_id = ? AND category_code = ? AND node_id <> ?
                """, [request.eventID, request.categoryCode, request.nodeID]) ?? 0
        guard others + quota <= categoryCapacity else {
            throw CentralError.rejected(
                code: "over_capacity",
                message: "\(request.categoryCode) has capacity \(categoryCapacity); "
                    + "other nodes hold \(others), so \(request.nodeID) can have at most \(max(0, categoryCapacity - others))"
            )
        }
        guard let eventCapacity else { return }
        let rest: Int =
            try connection.scalar(
                """
                SELECT COALESCE(SUM(\(counted)), 0) FROM allocation WHERE event_id = ? AND NOT (category_code = ? AND node_id = ?)
                """, [request.eventID, request.categoryCode, request.nodeID]) ?? 0
        guard rest + quota <= eventCapacity else {
            throw CentralError.rejected(
                code: "over_capacity",
                message: "event \(request.eventID) has capacity \(eventCapacity); "
                    + "other allocations hold \(rest), so this one can be at most \(max(0, eventCapacity - rest))")
        }
    }

    /// Marks seats joining the node as `adding` and seats leaving it as `removing`; a seat
    /// another node holds (in force or proposed) is refused.
    private func reserveSeats(_ request: AllocationRequest, target: [String]) throws {
        let owned = Set(try seatsOf(request, states: ["allocated"]))
        let wanted = Set(target)
        for chunk in stride(from: 0, to: target.count, by: 500).map({ Array(target[$0..<min($0 + 500, target.count)]) })
        {
            let taken = try connection.rows(
                """
                SELECT seat_label, node_id FROM allocation_seat
                WHERE event_id = ? AND node_id <> ? AND seat_label IN (\(Array(repeating: "?", count: chunk.count).joined(separator: ", ")))
                LIMIT 1
                """, [request.eventID, request.nodeID] + chunk)
            if let first = taken.first {
                throw CentralError.rejected(
                    code: "seat_taken",
                    message: "seat \(try first.get("seat_label", as: String.self)) belongs to node "
                        + "\(try first.get("node_id", as: String.self)); take it back from that node first")
            }
        }
        let adding = wanted.subtracting(owned).sorted()
        try connection.insertRows(
            into: "allocation_seat (event_id, seat_label, category_code, node_id, state)",
            "(?, ?, ?, ?, '\(SeatAllocationState.adding)')",
            adding.map { [request.eventID, $0, request.categoryCode, request.nodeID] })
        for label in owned.subtracting(wanted) {
            try connection.execute(
                "UPDATE allocation_seat SET state = '\(SeatAllocationState.removing)' WHERE event_id = ? AND seat_label = ?",
                [request.eventID, label])
        }
    }

    /// Allocations of an event (every event when nil).
    public func list(eventID: String?) throws -> [AllocationView] {
        try connection.rows(
            """
            SELECT * FROM allocation WHERE ? IS NULL OR event_id = ? ORDER BY event_id, category_code, node_id
            """, [eventID, eventID]
        ).map(Self.view(from:))
    }

    private func view(_ request: AllocationRequest) throws -> AllocationView {
        guard
            let row = try connection.row(
                "SELECT * FROM allocation WHERE event_id = ? AND category_code = ? AND node_id = ?",
                [request.eventID, request.categoryCode, request.nodeID])
        else {
            throw CentralError.notFound(
                "no allocation of \(request.eventID) \(request.categoryCode) for \(request.nodeID)")
        }
        return try Self.view(from: row)
    }

    static func view(from row: Row) throws -> AllocationView { try row.decode(AllocationView.self) }

    private func seatsOf(_ request: AllocationRequest, states: [String]) throws -> [String] {
        try connection.rows(
            """
            SELECT seat_label FROM allocation_seat WHERE event_id = ? AND category_code = ? AND node_id = ? AND state IN (?, ?)
            """,
            [
                request.eventID, request.categoryCode, request.nodeID, states[0],
                states.count > 1 ? states[1] : states[0],
            ]
        )
        .map { try $0.get(0) }
    }

    /// The seat labels `selectors` name among the category's sections.
    private func resolveSeats(_ selectors: [String], venueID: String, sectionsJSON: String?) throws -> [String] {
        let sections = try sectionsJSON.map { try JSONText.decode([String].self, from: $0) } ?? []
        let seats = try connection.rows(
            """
            SELECT label, section, row_label, number FROM seat WHERE venue_id = ? ORDER BY section, row_label, number
            """, [venueID]
        ).map { try $0.decode(SeatRow.self) }.filter { sections.contains($0.section) }
        var chosen = [String]()
        var seen = Set<String>()
        for text in selectors {
            guard let selector = SeatSelector(text) else {
                throw CentralError.invalidInput("bad seat range '\(text.prefix(40))'; write SECTION-ROW-FROM..TO")
            }
            let matches = seats.filter { selector.matches(section: $0.section, row: $0.rowLabel, number: $0.number) }
            guard !matches.isEmpty else {
                throw CentralError.notFound("no seats match '\(text.prefix(40))' in this category")
            }
            for seat in matches where seen.insert(seat.label).inserted {
                chosen.append(seat.label)
            }
        }
        return chosen
    }
}

/// The columns of an event an allocation checks.
private struct EventRow: Decodable {
    let venueID: String
    let capacity: Int?
}

/// The columns of a price category an allocation checks.
private struct CategoryRow: Decodable {
    let kind: CategoryKind
    let capacity: Int
    let sections: String?
}

/// An allocation in force and its proposal.
private struct AllocationRow: Decodable {
    let quota: Int
    let version: Int
    let proposedQuota: Int?
    let proposedVersion: Int?
    let proposalStatus: ProposalStatus?
}

/// A seat of the venue, by position.
private struct SeatRow: Decodable {
    let label: String
    let section: String
    let rowLabel: String
    let number: Int
}
