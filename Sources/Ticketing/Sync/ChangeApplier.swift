import EdgeCrypto
import EdgeStore
import SyncWire

/// Applies one change pulled from central, inside the caller's write transaction.
///
/// Throws for a change this node can never apply (malformed, unknown type, unknown event, a
/// version central cannot have handed out): the caller parks it. A refused allocation proposal
/// is not an error: the node answers it with an `allocation.rejected` record. What central
/// decided is never reported back to it.
struct ChangeApplier {
    let node: VenueNode

    func apply(_ change: Change) throws -> ChangeOutcome {
        guard let type = ChangeType(rawValue: change.type) else {
            throw TicketingError.rejected(
                code: "unknown_change", message: "unknown change type '\(change.type)' (newer protocol?)")
        }
        switch type {
        case .catalogEvent:
            let data = try JSONText.decode(ReferenceData.self, from: change.payload)
            _ = try ReferenceImporter(node: node).apply(
                ReferenceData(
                    format: data.format, venues: data.venues, events: data.events,
                    allocations: [], staff: []), actor: "central")
            return .applied
        case .allocationProposed:
            return try applyProposal(try JSONText.decode(AllocationProposal.self, from: change.payload), change)
        case .eventStatus:
            let status = try JSONText.decode(EventStatusChange.self, from: change.payload)
            if let version = status.version {
                try requirePlausible(version, of: "status \(status.status.rawValue) of \(status.eventID)", change)
            }
            return try node.catalog.applyCentralStatus(status)
        case .refundOrdered:
            return try node.refunds.carryOut(try JSONText.decode(RefundOrder.self, from: change.payload))
        case .nodeMaintenance:
            let instruction = try JSONText.decode(MaintenanceChange.self, from: change.payload)
            let nodeID = try node.settings().nodeID
            guard instruction.nodeID == nil || instruction.nodeID == nodeID else { return .ignored }
            try node.maintenance.apply(instruction)
            return .applied
        case .nodeParameters:
            return try applyParameters(try JSONText.decode(NodeParametersChange.self, from: change.payload))
        case .signingKey:
            return try DoorChanges(node: node).apply(try JSONText.decode(SigningKeyRecord.self, from: change.payload))
        case .doorAdmitted:
            return try DoorChanges(node: node).apply(
                try JSONText.decode(DoorAdmittedChange.self, from: change.payload))
        case .doorRevoked:
            return try DoorChanges(node: node).apply(try JSONText.decode(DoorRevokedChange.self, from: change.payload))
        case .doorVouched:
            return try DoorChanges(node: node).apply(try JSONText.decode(DoorVouchedChange.self, from: change.payload))
        case .doorUnvouched:
            return try DoorChanges(node: node).apply(
                try JSONText.decode(DoorUnvouchedChange.self, from: change.payload))
        }
    }

    /// Throws a data error (the change is parked, and no version moves) unless central can have
    /// handed out `version` by the time it published `change` (``CentralVersion/isPlausible(_:at:)``:
    /// its clock then plus a day; the node's own clock when the change's time is unknown). A version
    /// beyond that would make every genuine change after it look old, and be ignored.
    private func requirePlausible(_ version: Int64, of what: String, _ change: Change) throws {
        let madeBy = change.createdAt ?? node.clock.now()
        guard !CentralVersion.isPlausible(version, at: madeBy) else { return }
        throw TicketingError.invalidInput(
            "\(what) v\(version) cannot come from central: "
                + (version < 1
                    ? "its versions start at 1"
                    : "it is beyond central's clock when it published the change (\(madeBy)) plus a day"))
    }

    /// Takes the proposal if it keeps everything already sold or held, and answers either way,
    /// naming the quota (and seats) answered and, since protocol 4, the allocation in force here
    /// afterwards. The version this node decided moves when it takes a proposal or refuses it by
    /// that rule; a proposal naming what this node does not have (an unknown event, category or
    /// seat) is refused without moving it. A version central cannot have handed out is parked
    /// (``requirePlausible(_:of:_:)``): answering or remembering it would hide later ones.
    ///
    /// A proposal at or below the version decided here is a replay when it is that version with
    /// the quota and seats in force (pulled again after a restore): ignored. Any other is answered,
    /// refused, with the allocation in force: central restored from a backup, or with its clock
    /// behind, handed out a number again, and learns from the answer what this node sells under.
    private func applyProposal(_ proposal: AllocationProposal, _ change: Change) throws -> ChangeOutcome {
        let settings = try node.settings()
        guard proposal.nodeID == settings.nodeID else { return .ignored }
        let entity = "\(proposal.eventID)/\(proposal.categoryCode)"
        try requirePlausible(Int64(proposal.version), of: "allocation proposal of \(entity)", change)
        var rejection: String?
        if let held = try inForce(proposal.eventID, proposal.categoryCode), proposal.version <= held.version {
            if proposal.version == held.version, Self.names(held, proposal) { return .ignored }
            rejection =
                "proposal v\(proposal.version) is at or below v\(held.version), the allocation in force here "
                + "(\(held.seats == nil ? "quota" : "seats") \(held.quota)): central handed out that version again "
                + "(restored from a backup, or its clock behind); allocate again"
        } else {
            rejection = try decide(proposal)
        }
        let counts = try node.database.row(
            "SELECT sold, held FROM allocation WHERE event_id = ? AND category_code = ?",
            [proposal.eventID, proposal.categoryCode])
        let response = AllocationResponseRecord(
            eventID: proposal.eventID, categoryCode: proposal.categoryCode, nodeID: settings.nodeID,
            version: proposal.version,
            accepted: rejection == nil, reason: rejection, sold: try counts?.get("sold") ?? 0,
            held: try counts?.get("held") ?? 0, quota: proposal.quota ?? proposal.seats?.count,
            seatsDigest: proposal.seats.map(Self.seatsDigest),
            inForce: try inForce(proposal.eventID, proposal.categoryCode))
        try node.outbox.append(
            rejection == nil ? .allocationAccepted : .allocationRejected, id: entity, payload: response)
        try node.audit.record(
            rejection == nil ? "allocation.accepted" : "allocation.rejected", by: "central", entity: "allocation",
            id: entity, detail: ["version": String(proposal.version), "reason": rejection ?? ""])
        return .applied
    }

    /// Applies a proposal above the version decided here; returns why it was refused, if it was.
    private func decide(_ proposal: AllocationProposal) throws -> String? {
        var rejection: String?
        var decides = true
        do {
            try node.database.savepoint {
                _ = try node.inventory.setAllocation(
                    eventID: proposal.eventID, categoryCode: proposal.categoryCode,
                    quota: proposal.quota, seatSelectors: proposal.seats)
            }
        } catch let error as TicketingError {
            switch error {
            case .conflict: throw error
            case .rejected(code: "allocation_below_sales", _): rejection = error.message
            default:
                rejection = error.message
                decides = false
            }
        }
        if decides {
            try node.database.execute(
                "UPDATE allocation SET central_version = ? WHERE event_id = ? AND category_code = ?",
                [proposal.version, proposal.eventID, proposal.categoryCode])
        }
        return rejection
    }

    /// The allocation this node sells under: the version it decided last, the quota, and the seats
    /// of a seated category (nil when it has no allocation of the category).
    private func inForce(_ eventID: String, _ categoryCode: String) throws -> AllocationInForce? {
        guard
            let row = try node.database.row(
                """
                SELECT a.quota, a.central_version, c.kind FROM allocation a
                JOIN price_category c ON c.event_id = a.event_id AND c.code = a.category_code
                WHERE a.event_id = ? AND a.category_code = ?
                """, [eventID, categoryCode])
        else { return nil }
        let seats: [String]? =
            try row.get("kind", as: CategoryKind.self) == .seated
            ? try node.database.rows(
                """
                SELECT seat_label FROM event_seat WHERE event_id = ? AND category_code = ? AND status <> 'unallocated'
                ORDER BY seat_label
                """, [eventID, categoryCode]
            ).map { try $0.get(0) } : nil
        return AllocationInForce(
            eventID: eventID, categoryCode: categoryCode, version: try row.get("central_version"),
            quota: try row.get("quota"), seats: seats)
    }

    /// True when `proposal` gives exactly what is in force: its quota, or its seats.
    static func names(_ held: AllocationInForce, _ proposal: AllocationProposal) -> Bool {
        if let seats = proposal.seats { return held.seats.map(Set.init) == Set(seats) }
        return held.seats == nil && proposal.quota == held.quota
    }

    /// The digest an answer names a seated proposal by (``AllocationResponseRecord/seatsDigest``).
    static func seatsDigest(_ seats: [String]) -> String {
        Hex.encode(SHA256.hash(Array(AllocationResponseRecord.seatsDigestText(seats).utf8)))
    }

    /// Sets the parameters head office gave this node (or every node). One this node cannot take
    /// (a currency other than its orders') is a data error: the change is parked.
    private func applyParameters(_ change: NodeParametersChange) throws -> ChangeOutcome {
        var settings = try node.settings()
        guard change.nodeID == nil || change.nodeID == settings.nodeID else { return .ignored }
        try ReferenceImporter(node: node).apply(change.parameters, to: &settings)
        let changed = try settings.save(to: node)
        guard !changed.isEmpty else { return .applied }
        try node.audit.record(
            "settings.changed", by: "central", entity: "node", id: settings.nodeID,
            detail: ["keys": changed.joined(separator: ",")])
        return .applied
    }
}
