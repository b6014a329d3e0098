import EdgeStore
import SyncWire

/// Appends who changed what to `audit_log`, inside the caller's transaction.
struct AuditLog {
    let db: Database
    let clock: any WallClock

    /// Records one change by `actor` (a staff name, `system` or `central`).
    func record(_ action: String, by actor: String, entity: String, id: String, detail: [String: String] = [:]) throws {
        try db.execute(
            "INSERT INTO audit_log (at, operator, action, entity, entity_id, detail) VALUES (?, ?, ?, ?, ?, ?)",
            [clock.now().milliseconds, actor, action, entity, id, try JSONText.encode(detail)])
    }
}
