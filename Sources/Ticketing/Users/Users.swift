import EdgeCrypto
import EdgeStore
import SyncWire

/// Staff accounts and login sessions.
///
/// Passwords are stored as PBKDF2-HMAC-SHA256 hashes (210,000 rounds by default). Session tokens
/// are 256 random bits; the database keeps only their SHA-256, so a copied database cannot be
/// used to log in. Changing users needs an admin.
public struct Users {
    let node: VenueNode

    /// Adds a staff account; `password` nil leaves it unable to log in until one is set.
    public func add(name: String, role: Role, password: String?, by actor: Operator) throws -> StaffMember {
        try actor.require(.admin, to: "adding users")
        let name = try Validation.staffName(name)
        let hash = try password.map { PasswordHash.make(password: try Validation.password($0)) }
        let db = node.database
        return try db.write {
            guard try db.scalar("SELECT 1 FROM staff WHERE name = ?", [name], as: Int.self) == nil else {
                throw TicketingError.rejected(code: "user_exists", message: "a user named \(name) already exists")
            }
            let id = try insertStaff(name: name, role: role, passwordHash: hash)
            try node.audit.record(
                "user.added", by: actor.name, entity: "staff", id: id, detail: ["name": name, "role": role.rawValue])
            return try member(named: name)
        }
    }

    /// Every staff account, by name.
    public func list(by actor: Operator) throws -> [StaffMember] {
        try actor.require(.supervisor, to: "listing users")
        return try node.database.rows("SELECT * FROM staff ORDER BY name").map(Self.member(from:))
    }

    /// Disables an account and ends its sessions.
    public func disable(name: String, by actor: Operator) throws -> StaffMember {
        try actor.require(.admin, to: "disabling users")
        guard name != actor.name else {
            throw TicketingError.rejected(code: "cannot_disable_self", message: "you cannot disable your own account")
        }
        let db = node.database
        return try db.write {
            let target = try member(named: name)
            guard !target.disabled else { return target }
            let now = node.clock.now().milliseconds
            try db.execute("UPDATE staff SET disabled = 1, updated_at = ? WHERE id = ?", [now, target.id])
            try db.execute("UPDATE session SET ended_at = ? WHERE staff_id = ? AND ended_at IS NULL", [now, target.id])
            try node.audit.record("user.disabled", by: actor.name, entity: "staff", id: target.id)
            return try member(named: name)
        }
    }

    /// Enables a disabled account (admins): one disabled by ``disable(name:by:)``, or a cashier a
    /// restore took back from central by name alone (``CounterCarryOver``), who also needs a
    /// password (``setPassword(name:password:by:)``) before she can log in.
    public func enable(name: String, by actor: Operator) throws -> StaffMember {
        try actor.require(.admin, to: "enabling users")
        let db = node.database
        return try db.write {
            let target = try member(named: name)
            guard target.disabled else { return target }
            try db.execute(
                "UPDATE staff SET disabled = 0, updated_at = ? WHERE id = ?",
                [node.clock.now().milliseconds, target.id])
            try node.audit.record("user.enabled", by: actor.name, entity: "staff", id: target.id)
            return try member(named: name)
        }
    }

    /// Sets a password: admins for anyone, everyone for themselves. Every other session of the
    /// user ends (a copy of an old session file stops working); changing your own password keeps
    /// the session you changed it from.
    public func setPassword(name: String, password: String, by actor: Operator) throws {
        if name != actor.name { try actor.require(.admin, to: "setting another user's password") }
        let hash = PasswordHash.make(password: try Validation.password(password))
        let db = node.database
        try db.write {
            let target = try member(named: name)
            let now = node.clock.now().milliseconds
            try db.execute("UPDATE staff SET password_hash = ?, updated_at = ? WHERE id = ?", [hash, now, target.id])
            let kept = name == actor.name ? actor.sessionHash ?? "" : ""
            let ended = try db.execute(
                "UPDATE session SET ended_at = ? WHERE staff_id = ? AND ended_at IS NULL AND token_hash <> ?",
                [now, target.id, kept])
            try node.audit.record(
                "user.password_set", by: actor.name, entity: "staff", id: target.id,
                detail: ["sessions_ended": String(ended)])
        }
    }

    /// Changes a user's role (admins). The last enabled admin cannot be demoted.
    public func changeRole(name: String, to role: Role, by actor: Operator) throws -> StaffMember {
        try actor.require(.admin, to: "changing roles")
        return try node.database.write {
            try applyRole(try member(named: name), to: role, by: actor)
            return try member(named: name)
        }
    }

    /// Changes a role inside the caller's transaction, audited as `user.role_changed`.
    func applyRole(_ target: StaffMember, to role: Role, by actor: Operator) throws {
        guard target.role != role else { return }
        if target.role == .admin, !target.disabled {
            let admins: Int =
                try node.database.scalar("SELECT count(*) FROM staff WHERE role = 'admin' AND disabled = 0") ?? 0
            guard admins > 1 else {
                throw TicketingError.rejected(
                    code: "last_admin", message: "\(target.name) is the last admin; make another admin first")
            }
        }
        try node.database.execute(
            "UPDATE staff SET role = ?, updated_at = ? WHERE id = ?",
            [role.rawValue, node.clock.now().milliseconds, target.id])
        try node.audit.record(
            "user.role_changed", by: actor.name, entity: "staff", id: target.id,
            detail: ["name": target.name, "from": target.role.rawValue, "to": role.rawValue])
    }

    /// Adds or changes the staff listed in a reference file, inside the import's transaction and
    /// under the same rules as the `users` commands: an admin may add users and change roles; a
    /// supervisor may only add cashiers (who cannot log in before an admin sets their password).
    /// Anything else refuses the whole import. Returns what changed.
    func importStaff(_ staff: [ReferenceData.Staff], by actor: Operator) throws -> (
        added: Int, updated: Int, unchanged: Int
    ) {
        var counts = (added: 0, updated: 0, unchanged: 0)
        for entry in staff {
            let name = try Validation.staffName(entry.name)
            guard let role = Role(rawValue: entry.role) else {
                throw TicketingError.invalidInput("user \(name): unknown role '\(entry.role.prefix(20))'")
            }
            if let row = try node.database.row("SELECT * FROM staff WHERE name = ?", [name]) {
                let existing = try Self.member(from: row)
                guard existing.role != role else {
                    counts.unchanged += 1
                    continue
                }
                guard actor.role == .admin else {
                    throw TicketingError.notPermitted(
                        "the staff section would change \(name) from \(existing.role.rawValue) to "
                            + "\(role.rawValue): only an admin may change roles (\(actor.name) is a \(actor.role.rawValue))"
                    )
                }
                try applyRole(existing, to: role, by: actor)
                counts.updated += 1
            } else {
                guard actor.role == .admin || role == .cashier else {
                    throw TicketingError.notPermitted(
                        "the staff section would add \(name) as \(role.rawValue): a \(actor.role.rawValue) "
                            + "may add cashiers only")
                }
                let id = try insertStaff(name: name, role: role, passwordHash: nil)
                try node.audit.record(
                    "user.added", by: actor.name, entity: "staff", id: id,
                    detail: ["name": name, "role": role.rawValue])
                counts.added += 1
            }
        }
        return counts
    }

    /// Checks a password and opens a session. Unknown users and wrong passwords get the same
    /// answer after the same work, so neither can be told apart; each attempt is counted before
    /// the password is checked (``LoginThrottle``): attempts slow down, then the account is
    /// locked for a while (``LoginRefusal``). `client` names where the attempt came from (a
    /// till's address), for the audit log.
    public func login(name: String, password: String, client: String? = nil) throws -> LoginSession {
        let settings = try node.settings()
        let db = node.database
        let throttle = LoginThrottle(node: node)
        let now = node.clock.now()
        try throttle.reserve(name, now: now)
        let row = try db.row("SELECT * FROM staff WHERE name = ?", [name])
        let stored: String? = try row?.get("password_hash")
        let matches = PasswordHash.verify(password: password, against: stored ?? Self.decoyHash)
        guard let row, stored != nil, matches else {
            try throttle.recordFailure(name, now: now, client: client)
            throw TicketingError.notLoggedIn("wrong user name or password")
        }
        let staff = try Self.member(from: row)
        guard !staff.disabled else {
            try db.write { try throttle.clear(name) }
            throw TicketingError.notPermitted("the account \(name) is disabled")
        }
        let token = Hex.encode(SecureRandom.bytes(32))
        let expiry = Deadline(after: settings.sessionTTLSeconds, on: node.clock)
        let expiresAt = expiry.wall
        try db.write {
            try throttle.clear(name)
            try db.execute(
                "INSERT INTO session (token_hash, staff_id, created_at, \(Self.expiry.columns)) VALUES (?, ?, ?, ?, ?, ?)",
                [Self.tokenHash(token), staff.id, now.milliseconds] + expiry.values)
            try node.audit.record(
                "session.started", by: staff.name, entity: "staff", id: staff.id,
                detail: client.map { ["client": $0] } ?? [:])
        }
        return LoginSession(
            token: token, staff: staff.name, role: staff.role, nodeID: settings.nodeID, expiresAt: expiresAt)
    }

    /// Ends a session; ending an unknown or ended one changes nothing.
    public func logout(token: String) throws {
        let db = node.database
        try db.write {
            guard
                let row = try db.row(
                    "SELECT s.staff_id, st.name FROM session s JOIN staff st ON st.id = s.staff_id "
                        + "WHERE s.token_hash = ? AND s.ended_at IS NULL", [Self.tokenHash(token)])
            else { return }
            try db.execute(
                "UPDATE session SET ended_at = ? WHERE token_hash = ?",
                [node.clock.now().milliseconds, Self.tokenHash(token)])
            try node.audit.record(
                "session.ended", by: try row.get("name"), entity: "staff", id: try row.get("staff_id"))
        }
    }

    /// A session's expiry, kept on the boot clock too (``Deadline``): a session lasts its time to
    /// live whatever steps the wall clock makes, across restarts of the processes that check it;
    /// after the machine restarts, its wall-clock expiry decides.
    static let expiry = Deadline.Column("expires")

    /// The operator behind a session token. Read-only: checking a session writes nothing.
    public func authenticate(token: String) throws -> Operator {
        func select(_ boot: String) -> String {
            """
            SELECT st.id, st.name, st.role, st.disabled, s.ended_at, s.expires_at, \(boot)
            FROM session s JOIN staff st ON st.id = s.staff_id WHERE s.token_hash = ?
            """
        }
        let row: Row?
        do {
            row = try node.database.row(select("s.expires_boot_id, s.expires_boot_ms"), [Self.tokenHash(token)])
        } catch let error as StoreError where error.code == .error {
            // A database from before migration 18, which `migrate` checks an admin's session on
            // (and a restore the database it replaces): its sessions expire on the wall clock.
            row = try node.database.row(select("NULL, NULL"), [Self.tokenHash(token)])
        }
        guard let session = try row.map(SessionRow.init), session.endedAt == nil
        else {
            throw TicketingError.notLoggedIn("not logged in; run 'boxoffice login NAME'")
        }
        guard
            !Deadline.hasPassed(
                wall: session.expiresAt, bootID: session.expiresBootID,
                bootMilliseconds: session.expiresBootMilliseconds, now: node.clock)
        else {
            throw TicketingError.notLoggedIn("your session has expired; run 'boxoffice login NAME'")
        }
        guard !session.disabled else { throw TicketingError.notPermitted("your account is disabled") }
        guard let role = Role(rawValue: session.role) else {
            throw TicketingError.notPermitted("your account has an unknown role")
        }
        return Operator(id: session.id, name: session.name, role: role, sessionHash: Self.tokenHash(token))
    }

    // MARK: Shared with setup and import

    /// Inserts a staff row inside the caller's transaction and returns its id.
    func insertStaff(name: String, role: Role, passwordHash: String?) throws -> String {
        let id = node.ids.make(.staff)
        let now = node.clock.now().milliseconds
        try node.database.execute(
            "INSERT INTO staff (id, name, role, password_hash, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)",
            [id, name, role.rawValue, passwordHash, now, now])
        return id
    }

    func member(named name: String) throws -> StaffMember {
        guard let row = try node.database.row("SELECT * FROM staff WHERE name = ?", [name]) else {
            throw TicketingError.notFound("no user named \(name.prefix(40))")
        }
        return try Self.member(from: row)
    }

    static func member(from row: Row) throws -> StaffMember {
        let staff = try row.decode(StaffRow.self)
        return StaffMember(
            id: staff.id, name: staff.name, role: staff.role, disabled: staff.disabled,
            hasPassword: staff.passwordHash != nil,
            createdAt: staff.createdAt)
    }

    static func tokenHash(_ token: String) -> String { Hex.encode(SHA256.hash(Array(token.utf8))) }

    /// Verified against when the user does not exist, so that case costs the same time.
    static let decoyHash = PasswordHash.make(password: "decoy-password-never-matches")
}

extension VenueNode {
    /// Staff accounts and sessions.
    public var users: Users { Users(node: self) }
}

/// A row of the `staff` table.
private struct StaffRow: Decodable {
    let id: String
    let name: String
    let role: Role
    let disabled: Bool
    let passwordHash: String?
    let createdAt: Timestamp
}

/// A session with its staff member, as `authenticate` reads it. The role stays text here: an
/// unknown one is refused with its own message.
private struct SessionRow {
    let id: String
    let name: String
    let role: String
    let disabled: Bool
    let endedAt: Timestamp?
    let expiresAt: Timestamp
    let expiresBootID: String?
    let expiresBootMilliseconds: Int64?

    /// From `authenticate`'s row, by position: every command reads one, and `Decodable` would
    /// cost a `boxoffice` process more than its query.
    init(_ row: Row) throws {
        id = try row.get(0)
        name = try row.get(1)
        role = try row.get(2)
        disabled = try row.get(3)
        endedAt = try row.get(4)
        expiresAt = try row.get(5)
        expiresBootID = try row.get(6)
        expiresBootMilliseconds = try row.get(7)
    }
}
