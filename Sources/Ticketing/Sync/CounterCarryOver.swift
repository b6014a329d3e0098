import EdgeStore
import SyncWire

/// What carrying the counter's own records over from a replaced database did.
public struct CounterCarryOverReport: Sendable, Codable, Equatable {
    /// Staff accounts the snapshot lacked, added as the replaced database had them.
    public var accountsAdded = 0
    /// Accounts the snapshot had that changed after it (password, role, disabled), brought up to date.
    public var accountsUpdated = 0
    /// Login sessions ended after the snapshot (a logout, a password set, an account disabled), ended again.
    public var sessionsEnded = 0
    /// Cash drawers opened after the snapshot, or closed after it.
    public var drawers = 0

    public init() {}
}

/// The records of the counter that central never holds — staff accounts, the ends of login
/// sessions and cash drawers — carried by a restore from the database it replaces into the
/// snapshot, so that a cashier added after the snapshot logs in with her password, an account
/// disabled after it stays disabled, and a drawer opened after it still counts its float and the
/// cash sales carried over or taken back with it. New login sessions are not carried: people
/// log in again. A database that cannot be read carries nothing: a cashier central knows from
/// her sales then comes back as a disabled account without a password (``Users/enable(name:by:)``).
struct CounterCarryOver {
    /// A staff account as the replaced database holds it.
    struct Account {
        let id: String
        let name: String
        let role: String
        let passwordHash: String?
        let disabled: Bool
        let createdAt: Int64
        let updatedAt: Int64
    }

    /// A cash drawer as the replaced database holds it, its cashier by name.
    struct Drawer {
        let id: String
        let cashier: String
        let currency: String
        let floatMinor: Int64
        let openedAt: Int64
        let closedAt: Int64?
        let countedMinor: Int64?
        let expectedMinor: Int64?
    }

    let accounts: [Account]
    let drawers: [Drawer]
    /// Sessions still open in the snapshot that the replaced database ended: token hash, end.
    let endedSessions: [(tokenHash: String, endedAt: Int64)]

    /// Reads, read-only, what the database at `path` holds of the counter; the sessions looked up
    /// are those still open in `target` (the snapshot being prepared).
    static func read(_ path: String, sessionsOpenIn target: Database) throws -> CounterCarryOver {
        var options = Database.Options()
        options.readOnly = true
        let db = try Database(path: path, options: options)
        let accounts = try db.rows(
            "SELECT id, name, role, password_hash, disabled, created_at, updated_at FROM staff ORDER BY created_at, name"
        ).map { row in
            Account(
                id: try row.get("id"), name: try row.get("name"), role: try row.get("role"),
                passwordHash: try row.get("password_hash"), disabled: try row.get("disabled"),
                createdAt: try row.get("created_at"), updatedAt: try row.get("updated_at"))
        }
        let hasDrawers =
            try db.scalar("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'drawer'", as: Int.self) != nil
        let drawers =
            try hasDrawers
            ? db.rows(
                """
                SELECT d.id, s.name AS cashier, d.currency, d.float_minor, d.opened_at, d.closed_at, d.counted_minor,
                       d.expected_minor
                FROM drawer d JOIN staff s ON s.id = d.staff_id ORDER BY d.opened_at, d.id
                """
            ).map { row in
                Drawer(
                    id: try row.get("id"), cashier: try row.get("cashier"), currency: try row.get("currency"),
                    floatMinor: try row.get("float_minor"), openedAt: try row.get("opened_at"),
                    closedAt: try row.get("closed_at"), countedMinor: try row.get("counted_minor"),
                    expectedMinor: try row.get("expected_minor"))
            } : []
        var ended = [(tokenHash: String, endedAt: Int64)]()
        for row in try target.rows("SELECT token_hash FROM session WHERE ended_at IS NULL") {
            let hash: String = try row.get(0)
            if let end: Int64 = try db.scalar(
                "SELECT ended_at FROM session WHERE token_hash = ? AND ended_at IS NOT NULL", [hash])
            {
                ended.append((hash, end))
            }
        }
        return CounterCarryOver(accounts: accounts, drawers: drawers, endedSessions: ended)
    }

    /// Writes what `node` lacks, inside the caller's transaction, before the sales are carried
    /// over (they name their cashier). An account the snapshot has takes the replaced database's
    /// state when that is newer, or when the snapshot's has no password. A drawer that conflicts
    /// with the snapshot's (its cashier has another open there) is left out, with an audit entry.
    func carry(into node: VenueNode) throws -> CounterCarryOverReport {
        let db = node.database
        var report = CounterCarryOverReport()
        for account in accounts {
            if let row = try db.row("SELECT id, password_hash, updated_at FROM staff WHERE name = ?", [account.name]) {
                let hash: String? = try row.get("password_hash")
                let updatedAt: Int64 = try row.get("updated_at")
                guard account.updatedAt > updatedAt || (hash == nil && account.passwordHash != nil) else { continue }
                try db.execute(
                    "UPDATE staff SET role = ?, password_hash = ?, disabled = ?, updated_at = ? WHERE id = ?",
                    [
                        account.role, account.passwordHash, account.disabled, account.updatedAt,
                        try row.get("id", as: String.self),
                    ])
                report.accountsUpdated += 1
            } else {
                let taken = try db.scalar("SELECT 1 FROM staff WHERE id = ?", [account.id], as: Int.self) != nil
                let id = taken ? node.ids.make(.staff) : account.id
                try db.execute(
                    """
                    INSERT INTO staff (id, name, role, password_hash, disabled, created_at, updated_at)
                    VALUES (?, ?, ?, ?, ?, ?, ?)
                    """,
                    [
                        id, account.name, account.role, account.passwordHash, account.disabled, account.createdAt,
                        account.updatedAt,
                    ])
                report.accountsAdded += 1
            }
        }
        for session in endedSessions {
            report.sessionsEnded += try db.execute(
                "UPDATE session SET ended_at = ? WHERE token_hash = ? AND ended_at IS NULL",
                [session.endedAt, session.tokenHash])
        }
        for drawer in drawers {
            guard let staffID: String = try db.scalar("SELECT id FROM staff WHERE name = ?", [drawer.cashier]) else {
                continue
            }
            let known = try db.row("SELECT closed_at FROM drawer WHERE id = ?", [drawer.id])
            do {
                if let known {
                    guard try known.get("closed_at", as: Int64?.self) == nil, let closedAt = drawer.closedAt else {
                        continue
                    }
                    try db.execute(
                        "UPDATE drawer SET closed_at = ?, counted_minor = ?, expected_minor = ? WHERE id = ?",
                        [closedAt, drawer.countedMinor, drawer.expectedMinor, drawer.id])
                } else {
                    try db.savepoint {
                        try db.execute(
                            """
                            INSERT INTO drawer (id, staff_id, currency, float_minor, opened_at, closed_at, counted_minor,
                                                expected_minor)
                            VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                            """,
                            [
                                drawer.id, staffID, drawer.currency, drawer.floatMinor, drawer.openedAt,
                                drawer.closedAt, drawer.countedMinor, drawer.expectedMinor,
                            ])
                    }
                }
                report.drawers += 1
            } catch let error as StoreError where error.isDataError {
                try node.audit.record(
                    "drawer.not_carried_over", by: "restore", entity: "drawer", id: drawer.id,
                    detail: ["cashier": drawer.cashier, "reason": SyncLimits.clip(error.message, to: 200)])
            }
        }
        return report
    }
}
