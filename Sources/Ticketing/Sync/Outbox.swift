import EdgeStore
import SyncWire

/// Appends records for central to `sync_outbox`, inside the transaction of the change they describe,
/// so that no change is pushed that was not committed and none committed is skipped.
struct Outbox {
    let db: Database
    let clock: any WallClock

    /// Appends one record; `seq` (the rowid, under SQLite's single writer) gives commit order.
    func append<Payload: Encodable>(_ type: SyncRecordType, id: String, payload: Payload) throws {
        try append(type, id: id, json: try JSONText.encode(payload))
    }

    /// Appends one record whose payload is already JSON text, written as ``JSONText`` writes it.
    func append(_ type: SyncRecordType, id: String, json: String) throws {
        try db.execute(
            "INSERT INTO sync_outbox (record_type, entity_id, payload, created_at) VALUES (?, ?, ?, ?)",
            [type.rawValue, id, json, clock.now().milliseconds])
    }
}
