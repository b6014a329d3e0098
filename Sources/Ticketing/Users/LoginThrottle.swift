import SyncWire

/// Failed logins per name, so that guessing passwords at a till or over the API gets nowhere:
/// after ``slowAfter`` failures in a row each further attempt must wait (doubling up to a
/// minute), and after ``lockAfter`` the account is locked for ``lockSeconds``, audit-logged,
/// until it passes or an admin unlocks it. Names that do not exist are counted the same way, so
/// the answers tell nobody which names do. An attempt is counted before its password is checked,
/// in the transaction that lets it go ahead (``reserve(_:now:)``), so that attempts made at once
/// for one name are let through one after another, never all on one reading of the count. A
/// successful login clears the count.
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

    /// Counts an attempt for `name` as a failure before its password is checked, or refuses it
    /// (``LoginRefusal``): locked, or too soon after the last failure. One transaction: attempts
    /// at once for one name each see the ones before them counted.
    func reserve(_ name: String, now: Timestamp) throws {
        let db = node.database
        try db.write {
            let record = try record(name, now: now)
            if let record { try check(record, name: name, now: now) }
            try db.execute(
                """
                INSERT INTO login_failure (name, failures, last_failed_at, locked_until) VALUES (?, ?, ?, NULL)
                ON CONFLICT (name) DO UPDATE SET failures = excluded.failures,
                    last_failed_at = excluded.last_failed_at, locked_until = NULL
                """,
                [name, (record?.failures ?? 0) + 1, now.milliseconds])
            // Names nobody uses are not kept for ever.
            try db.execute(
                "DELETE FROM login_failure WHERE last_failed_at < ? AND coalesce(locked_until, 0) < ?",
                [now.milliseconds - Self.forgetAfterSeconds * 1000, now.milliseconds])
        }
    }

    /// Throws when `name` may not try now: locked, or too soon after the last failure.
    private func check(_ record: Record, name: String, now: Timestamp) throws {
        if let until = record.lockedUntil, until > now.milliseconds {
            throw LoginRefusal(
                reason: .locked,
                message: "the account \(name) is locked until "
                    + "\(try localTime(Timestamp(milliseconds: until))) after \(record.failures) failed logins; "
                    + "wait, or have an admin run 'boxoffice users unlock \(name)'",
                retryAfterSeconds: Self.seconds(until - now.milliseconds))
        }
        guard record.failures >= Self.slowAfter else { return }
        let allowedAt = record.lastFailedAt + Self.wait(after: record.failures) * 1000
        if allowedAt > now.milliseconds {
            let seconds = Self.seconds(allowedAt - now.milliseconds)
            throw LoginRefusal(
                reason: .throttled, message: "\(record.failures) failed logins for \(name): try again in \(seconds) s",
                retryAfterSeconds: seconds)
        }
    }

    /// Whole seconds, rounded up, in `milliseconds`.
    private static func seconds(_ milliseconds: Int64) -> Int { Int((milliseconds + 999) / 1000) }

    /// Seconds to wait after `failures` failures in a row (from ``slowAfter`` on).
    static func wait(after failures: Int) -> Int64 {
        min(longestWaitSeconds, Int64(1) << min(20, max(0, failures - slowAfter)))
    }

    /// Records that the attempt ``reserve(_:now:)`` counted failed: audit-logged, and the account
    /// locked once the failures reach ``lockAfter``. Its own transaction.
    func recordFailure(_ name: String, now: Timestamp, client: String? = nil) throws {
        let db = node.database
        try db.write {
            // A success at the same time cleared the count: this failure starts it again.
            let failures =
                try db.scalar("SELECT failures FROM login_failure WHERE name = ?", [name], as: Int.self) ?? 0
            if failures == 0 {
                try db.execute(
                    "INSERT INTO login_failure (name, failures, last_failed_at) VALUES (?, 1, ?)",
                    [name, now.milliseconds])
            }
            let locks = failures >= Self.lockAfter
            if locks {
                try db.execute(
                    "UPDATE login_failure SET locked_until = ? WHERE name = ?",
                    [now.milliseconds + Self.lockSeconds * 1000, name])
            }
            try node.audit.record(
                locks ? "staff.locked" : "login.failed", by: "login", entity: "staff", id: name,
                detail: ["failures": String(max(1, failures))].merging(client.map { ["client": $0] } ?? [:]) { $1 })
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

/// A login refused before its password was checked: too soon after failed ones, or the account
/// locked. The API answers it 429 or 423 with `Retry-After`.
public struct LoginRefusal: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Reason: String, Sendable {
        case throttled = "login_throttled"
        case locked = "account_locked"
    }

    public let reason: Reason
    public let message: String
    /// Whole seconds until the next attempt may be made.
    public let retryAfterSeconds: Int

    public var description: String { message }
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
