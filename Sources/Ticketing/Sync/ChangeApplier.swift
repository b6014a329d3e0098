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
            return try applyProposal(try JSONText.decode(AllocationProposal.self, from: change.payload))
        case .eventStatus:
            return try node.catalog.applyCentralStatus(
                try JSONText.decode(EventStatusChange.self, from: change.payload))
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

    /// Takes the proposal if it keeps everything already sold or held, and answers either way,
    /// naming the quota (and seats) answered. The version this node decided moves when it takes
    /// a proposal or refuses it by that rule, so that a proposal pulled again (after a restore)
    /// is not decided twice; a proposal naming what this node does not have (an unknown event,
    /// category or seat) is refused without moving it. A version central cannot have handed out
    /// is parked: it is not a proposal, and answering or remembering it would hide later ones.
    private func applyProposal(_ proposal: AllocationProposal) throws -> ChangeOutcome {
        let settings = try node.settings()
        guard proposal.nodeID == settings.nodeID else { return .ignored }
        let entity = "\(proposal.eventID)/\(proposal.categoryCode)"
        guard CentralVersion.isIssuable(Int64(proposal.version)) else {
            throw TicketingError.invalidInput(
                "allocation proposal v\(proposal.version) of \(entity) cannot come from central, "
                    + "whose versions run from 1 to \(CentralVersion.maximum)")
        }
        let decided: Int =
            try node.database.scalar(
                """
                SELECT central_version FROM allocation WHERE event_id = ? AND category_code = ?
                """, [proposal.eventID, proposal.categoryCode]) ?? 0
        guard proposal.version > decided else { return .ignored }
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
        let counts = try node.database.row(
            "SELECT sold, held FROM allocation WHERE event_id = ? AND category_code = ?",
            [proposal.eventID, proposal.categoryCode])
        let response = AllocationResponseRecord(
            eventID: proposal.eventID, categoryCode: proposal.categoryCode, nodeID: settings.nodeID,
            version: proposal.version,
            accepted: rejection == nil, reason: rejection, sold: try counts?.get("sold") ?? 0,
            held: try counts?.get("held") ?? 0, quota: proposal.quota ?? proposal.seats?.count,
            seatsDigest: proposal.seats.map(Self.seatsDigest))
        try node.outbox.append(
            rejection == nil ? .allocationAccepted : .allocationRejected, id: entity, payload: response)
        try node.audit.record(
            rejection == nil ? "allocation.accepted" : "allocation.rejected", by: "central", entity: "allocation",
            id: entity, detail: ["version": String(proposal.version), "reason": rejection ?? ""])
        return .applied
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
