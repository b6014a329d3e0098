import EdgeStore

/// Appends records for central to `sync_outbox`, inside the transaction of the change they describe,
/// so that no change is pushed that was not committed and none committed is skipped.
struct Outbox {
    let db: Database
    let clock: any WallClock

    /// Appends one record; `seq` (AUTOINCREMENT under SQLite's single writer) gives commit order.
    func append<Payload: Encodable>(_ type: SyncRecordType, id: String, payload: Payload) throws {
        try db.execute("INSERT INTO sync_outbox (record_type, entity_id, payload, created_at) VALUES (?, ?, ?, ?)",
                       [type.rawValue, id, JSONText.encode(payload), clock.now().milliseconds])
    }
}

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
}
