import EdgeStore
import SyncWire

/// The central a node syncs with, as the node knows it.
public struct JoinedCentral: Sendable, Codable, Equatable {
    /// Central's identity, made by `central migrate` and kept through its dumps and restores.
    public let identity: String
    /// When this node joined it.
    public let joinedAt: Timestamp?
}

/// What `boxoffice sync rejoin` did.
public struct RejoinOutcome: Sendable, Codable, Equatable {
    /// The central this node had joined (nil: none yet).
    public let previous: String?
    /// The central it syncs with from now on.
    public let identity: String
    /// The pull cursor it left: the new central's changes are numbered on their own.
    public let pullCursorWas: Int64
    /// Changes of the previous central this node had parked, dropped (kept in the audit log's count).
    public let parkedChangesDropped: Int
}

extension NodeSync {
    /// The central this node joined, or nil before its first sync.
    public func joinedCentral() throws -> JoinedCentral? {
        try db.read {
            try state.text(.centralIdentity).map {
                JoinedCentral(identity: $0, joinedAt: try state.time(.centralJoinedAt))
            }
        }
    }

    /// Records the central this node joins: the first central it syncs with. Once recorded, the
    /// daemon syncs with that central only, until an operator re-joins the node elsewhere.
    public func join(central identity: String) throws {
        try db.write {
            guard try state.text(.centralIdentity) == nil else { return }
            try state.set(.centralIdentity, identity)
            try state.set(.centralJoinedAt, node.clock.now().milliseconds)
            try node.audit.record("sync.joined", by: "central", entity: "central", id: identity)
        }
    }

    /// Moves this node, on purpose, to the central whose identity is `identity` (`central migrate
    /// --status` prints it): the node syncs with that central only from now on. Its outbox is
    /// kept and pushed there in full (the new central asks for what it lacks); its pull starts
    /// at the new central's first change, and what it remembers of the old central's numbering
    /// (the proposals and statuses it decided, the changes it parked) is forgotten. Admins; refused
    /// while `venue-syncd` runs for the database. A node that must still take its facts back (it
    /// was restored from a snapshot) takes them back from the new central: a snapshot taken before
    /// the node was moved names the central it was moved from.
    public func rejoin(central identity: String, by actor: Operator) throws -> RejoinOutcome {
        try actor.require(.admin, to: "re-joining the node to another central")
        guard CentralIdentityFormat.matches(identity) else {
            throw TicketingError.invalidInput(
                "'\(SyncLimits.clip(identity, to: 64))' is not a central identity: one is "
                    + CentralIdentityFormat.description)
        }
        let lock: InstanceLock
        do {
            lock = try InstanceLock(databasePath: db.path, owner: "boxoffice sync rejoin")
        } catch let busy as InstanceLock.Busy {
            throw TicketingError.rejected(
                code: "database_in_use",
                message: "\(busy.holder) is running for \(db.path)"
                    + (busy.pid.map { " (pid \($0))" } ?? "") + "; stop it before re-joining")
        }
        defer { withExtendedLifetime(lock) {} }
        return try db.write {
            let previous = try state.text(.centralIdentity)
            guard previous != identity else {
                throw TicketingError.rejected(
                    code: "already_joined", message: "this node already syncs with central \(identity)")
            }
            let cursor = try state.integer(.pullCursor) ?? 0
            let parked: Int = try db.scalar("SELECT count(*) FROM sync_pull_parked") ?? 0
            try state.set(.centralIdentity, identity)
            try state.set(.centralJoinedAt, node.clock.now().milliseconds)
            try state.set(.pullCursor, 0)
            try state.set(.centralParked, 0)
            try db.execute("DELETE FROM sync_pull_applied")
            try db.execute("DELETE FROM sync_pull_parked")
            try db.execute("DELETE FROM event_central_status")
            try db.execute("UPDATE allocation SET central_version = 0 WHERE central_version <> 0")
            try node.audit.record(
                "sync.rejoined", by: actor.name, entity: "central", id: identity,
                detail: [
                    "previous": previous ?? "", "pull_cursor_was": String(cursor),
                    "parked_changes_dropped": String(parked),
                ])
            return RejoinOutcome(
                previous: previous, identity: identity, pullCursorWas: cursor, parkedChangesDropped: parked)
        }
    }
}
