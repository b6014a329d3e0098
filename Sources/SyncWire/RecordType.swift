/// The kinds of record a node reports to central.
public enum SyncRecordType: String, Sendable, Codable, CaseIterable {
    /// An order with its tickets and payment.
    case orderPlaced = "order.placed"
    /// A refund was queued (event cancelled, or ordered by central) and waits to be paid out.
    case refundQueued = "refund.queued"
    /// A refund was paid out.
    case refundCompleted = "refund.completed"
    /// A ticket was scanned at the door.
    case ticketCheckedIn = "ticket.checked_in"
    /// An event changed status on this node (published, closed, cancelled).
    case eventStatusChanged = "event.status_changed"
    /// The node took an allocation proposal.
    case allocationAccepted = "allocation.accepted"
    /// The node refused an allocation proposal (it would take back sold or held inventory).
    case allocationRejected = "allocation.rejected"
    /// The node made or retired one of its ticket signing keys (payload: ``SigningKeyRecord``).
    case signingKeyPublished = "signing_key.published"
}
