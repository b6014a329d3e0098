import SyncWire

/// A record as `sync_inbox` keeps it. The payload and time are NULL for a record central refused
/// to keep (too large); `error` says why a parked record did not apply.
struct InboxEntry: Decodable {
    let seq: Int64
    let recordType: String
    let entityID: String
    let payload: String?
    let createdAt: Timestamp?
    let error: String?

    /// The columns to select for an ``InboxEntry``.
    static let columns = "seq, record_type, entity_id, payload, created_at, error"
}
