import SQLValues
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

/// What became of a record central received: applied to its tables, or parked with its error
/// (a data error: it can never apply as it is) until `central parked NODE --retry` applies it.
public enum InboxStatus: String, Sendable, Codable, CaseIterable, SQLTextEnum {
    case applied
    case parked
}
