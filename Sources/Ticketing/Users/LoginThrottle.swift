import SyncWire

/// Failed logins per name, so that guessing passwords at a till or over the API gets nowhere:
/// after ``slowAfter`` failures in a row each further attempt must wait (doubling up to a
/// minute), and after ``lockAfter`` the account is locked for ``lockSeconds``, audit-logged,
/// until it passes or an admin unlocks it. Names that do not exist are counted the same way, so
/// the answers tell nobody which names do. A successful login clears the count.
struct LoginThrottle {
    let node: VenueNode

    /// Failures in a row after which attempts slow down.
    static let slowAfter = 5
    /// Failures in a row after which the account is locked.
    static let lockAfter = 10
    /// How long a lock lasts.
    static let lockSeconds: Int64 = 15 * 60
    /// Failures older than this no longer count.
    static let forgetAfterSeconds: Int64 = 60 * 60
    /// The longest wait between attempts before the lock.
    static let longestWaitSeconds: Int64 = 60

    private struct Record {
        let failures: Int
        let lastFailedAt: Int64
        let lockedUntil: Int64?
    }

    private func record(_ name: String, now: Timestamp) throws -> Record? {
        guard let row = try node.database.row("SELECT * FROM login_failure WHERE name = ?", [name]) else {
            return nil
        }
        let record = Record(
            failures: try row.get("failures"), lastFailedAt: try row.get("last_failed_at"),
            lockedUntil: try row.get("locked_until"))
        let locked = (record.lockedUntil ?? 0) > now.milliseconds
        guard locked || now.milliseconds - record.lastFailedAt < Self.forgetAfterSeconds * 1000 else { return nil }
        return record
    }

    /// Throws when `name` may not try now: locked, or too soon after the last failure.
    func check(_ name: String, now: Timestamp) throws {
        guard let record = try record(name, now: now) else { return }
        if let until = record.lockedUntil, until > now.milliseconds {
            throw TicketingError.rejected(
                code: "account_locked",
                message: "the account \(name) is locked until "
                    + "\(try localTime(Timestamp(milliseconds: until))) after \(record.failures) failed logins; "
                    + "wait, or have an admin run 'boxoffice users unlock \(name)'")
        }
        guard record.failures >= Self.slowAfter else { return }
        let wait = Self.wait(after: record.failures)
        let allowedAt = record.lastFailedAt + wait * 1000
        if allowedAt > now.milliseconds {
            let seconds = (allowedAt - now.milliseconds + 999) / 1000
            throw TicketingError.rejected(
                code: "login_throttled",
                message: "\(record.failures) failed logins for \(name): try again in \(seconds) s")
        }
    }

    /// Seconds to wait after `failures` failures in a row (from ``slowAfter`` on).
    static func wait(after failures: Int) -> Int64 {
        min(longestWaitSeconds, Int64(1) << min(20, max(0, failures - slowAfter)))
    }

    /// Counts a failure for `name`; locks the account at ``lockAfter``. Its own transaction.
    func recordFailure(_ name: String, now: Timestamp, client: String? = nil) throws {
        let db = node.database
        try db.write {
            let failures = (try record(name, now: now)?.failures ?? 0) + 1
            let locks = failures >= Self.lockAfter
            try db.execute(
                """
                INSERT INTO login_failure (name, failures, last_failed_at, locked_until) VALUES (?, ?, ?, ?)
                ON CONFLICT (name) DO UPDATE SET failures = excluded.failures,
                    last_failed_at = excluded.last_failed_at, locked_until = excluded.locked_until
                """,
                [name, failures, now.milliseconds, locks ? now.milliseconds + Self.lockSeconds * 1000 : nil])
            try node.audit.record(
                locks ? "staff.locked" : "login.failed", by: "login", entity: "staff", id: name,
                detail: ["failures": String(failures)].merging(client.map { ["client": $0] } ?? [:]) { $1 })
            // Names nobody uses are not kept for ever.
            try db.execute(
                "DELETE FROM login_failure WHERE last_failed_at < ? AND coalesce(locked_until, 0) < ?",
                [now.milliseconds - Self.forgetAfterSeconds * 1000, now.milliseconds])
        }
    }

    /// Forgets `name`'s failures, inside the caller's transaction (a successful login).
    func clear(_ name: String) throws {
        try node.database.execute("DELETE FROM login_failure WHERE name = ?", [name])
    }

    private func localTime(_ time: Timestamp) throws -> String {
        time.local(in: try node.reports.timezone())
    }
}

extension Users {
    /// Lifts the lock and forgets the failed logins of `name` (admins).
    public func unlock(name: String, by actor: Operator) throws -> StaffMember {
        try actor.require(.admin, to: "unlocking accounts")
        let db = node.database
        return try db.write {
            let member = try member(named: name)
            let removed = try db.execute("DELETE FROM login_failure WHERE name = ?", [name])
            if removed > 0 {
                try node.audit.record("staff.unlocked", by: actor.name, entity: "staff", id: member.id)
            }
            return member
        }
    }
}
