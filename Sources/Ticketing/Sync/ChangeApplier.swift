import EdgeStore
import SyncWire

/// Applies one change pulled from central, inside the caller's write transaction.
///
/// Throws for a change this node can never apply (malformed, unknown type, unknown event): the
/// caller parks it. A refused allocation proposal is not an error: the node answers it with an
/// `allocation.rejected` record.
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
            let statusChange = try JSONText.decode(EventStatusChange.self, from: change.payload)
            _ = try node.catalog.applyStatus(
                statusChange.eventID, to: statusChange.status, reason: statusChange.reason, actor: "central")
            return .applied
        case .refundOrdered:
            return try node.refunds.carryOut(try JSONText.decode(RefundOrder.self, from: change.payload))
        case .nodeMaintenance:
            let instruction = try JSONText.decode(MaintenanceChange.self, from: change.payload)
            let nodeID = try node.settings().nodeID
            guard instruction.nodeID == nil || instruction.nodeID == nodeID else { return .ignored }
            try node.maintenance.apply(instruction)
            return .applied
        }
    }

    /// Takes the proposal if it keeps everything already sold or held, and answers either way.
    /// A proposal at or below the version this node last answered was decided already (it comes
    /// again after a restore) and is ignored.
    private func applyProposal(_ proposal: AllocationProposal) throws -> ChangeOutcome {
        let settings = try node.settings()
        guard proposal.nodeID == settings.nodeID else { return .ignored }
        let answered: Int =
            try node.database.scalar(
                """
                SELECT central_version FROM allocation WHERE event_id = ? AND category_code = ?
                """, [proposal.eventID, proposal.categoryCode]) ?? 0
        guard proposal.version > answered else { return .ignored }
        var rejection: String?
        do {
            try node.database.savepoint {
                _ = try node.inventory.setAllocation(
                    eventID: proposal.eventID, categoryCode: proposal.categoryCode,
                    quota: proposal.quota, seatSelectors: proposal.seats)
            }
        } catch let error as TicketingError {
            rejection = error.message
        }
        try node.database.execute(
            "UPDATE allocation SET central_version = ? WHERE event_id = ? AND category_code = ?",
            [proposal.version, proposal.eventID, proposal.categoryCode])
        let counts = try node.database.row(
            "SELECT sold, held FROM allocation WHERE event_id = ? AND category_code = ?",
            [proposal.eventID, proposal.categoryCode])
        let response = AllocationResponseRecord(
            eventID: proposal.eventID, categoryCode: proposal.categoryCode, nodeID: settings.nodeID,
            version: proposal.version,
            accepted: rejection == nil, reason: rejection, sold: try counts?.get("sold") ?? 0,
            held: try counts?.get("held") ?? 0)
        try node.outbox.append(
            rejection == nil ? .allocationAccepted : .allocationRejected,
            id: "\(proposal.eventID)/\(proposal.categoryCode)", payload: response)
        try node.audit.record(
            rejection == nil ? "allocation.accepted" : "allocation.rejected", by: "central", entity: "allocation",
            id: "\(proposal.eventID)/\(proposal.categoryCode)",
            detail: ["version": String(proposal.version), "reason": rejection ?? ""])
        return .applied
    }
}
