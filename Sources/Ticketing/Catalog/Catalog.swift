import EdgeStore
import SyncWire

/// An event as listed.
public struct EventSummary: Sendable, Codable, Equatable {
    public let id: String
    public let name: String
    public let venue: String
    public let startsAt: Timestamp
    public let status: EventStatus
    public let capacity: Int?
    public let sold: Int
    public let held: Int
    /// What this node may sell over all categories.
    public let quota: Int
    /// The venue's IANA zone: how people read `startsAt`.
    public let timezone: String
}

/// What an event status change did.
public struct EventChange: Sendable, Codable, Equatable {
    public let event: EventSummary
    public let previousStatus: EventStatus
    /// Cancellation: orders whose refund was queued, and holds released.
    public let refundsQueued: Int
    public let holdsReleased: Int
}

/// Venues, events and price categories.
public struct Catalog {
    let node: VenueNode
    var db: Database { node.database }

    /// Every event, by start time.
    public func events() throws -> [EventSummary] {
        try db.rows(
            """
            SELECT e.*, v.name AS venue, v.timezone, (SELECT coalesce(sum(quota), 0) FROM allocation a WHERE a.event_id = e.id) AS quota
            FROM event e JOIN venue v ON v.id = e.venue_id ORDER BY e.starts_at, e.id
            """
        ).map(Self.summary(from:))
    }

    /// One event.
    public func event(_ eventID: String) throws -> EventSummary {
        guard
            let row = try db.row(
                """
                SELECT e.*, v.name AS venue, v.timezone, (SELECT coalesce(sum(quota), 0) FROM allocation a WHERE a.event_id = e.id) AS quota
                FROM event e JOIN venue v ON v.id = e.venue_id WHERE e.id = ?
                """, [eventID])
        else {
            throw TicketingError.notFound("no event '\(eventID.prefix(40))'; 'boxoffice events' lists them")
        }
        return try Self.summary(from: row)
    }

    /// Publishes (draft → on_sale), closes (on_sale → closed), reopens (closed → on_sale) or
    /// cancels an event. Supervisors and admins. Cancelling stops sales, releases holds, and
    /// queues a refund and a notification for every order with valid tickets.
    public func changeStatus(_ eventID: String, to status: EventStatus, reason: String?, by actor: Operator) throws
        -> EventChange
    {
        try actor.require(.supervisor, to: "changing events")
        let reason = try reason.map { try Validation.text($0, field: "reason", maxLength: SyncLimits.reason) }
        if status == .cancelled, reason == nil {
            throw TicketingError.invalidInput("cancelling an event needs a reason (customers are told it)")
        }
        return try db.write {
            try ChangeGate(db: db).requireOpen()
            return try applyStatus(eventID, to: status, reason: reason, actor: actor.name)
        }
    }

    /// The version of the event's status at central that this node last applied (0: none).
    func centralStatusVersion(_ eventID: String) throws -> Int64 {
        try db.scalar("SELECT version FROM event_central_status WHERE event_id = ?", [eventID]) ?? 0
    }

    /// Applies a status central published, inside the caller's transaction. Central's change is
    /// never reported back (it would come back from central to every node, and again). A change
    /// at or below the version applied last is one pulled again and changes nothing; one without
    /// a version (from a protocol 2 central) applies only while no versioned change has. An event
    /// cancelled here stays cancelled: central takes this node's cancellation whatever its version.
    /// A change taken from this node's own record, when the node changed the status again after
    /// that record, only moves the version: the later change stands here, and central either
    /// takes it too or has crossed it with a change this node pulls next.
    func applyCentralStatus(_ change: EventStatusChange) throws -> ChangeOutcome {
        let applied = try centralStatusVersion(change.eventID)
        if let version = change.version {
            guard version > applied else { return .ignored }
        } else if applied > 0 {
            return .ignored
        }
        if try node.inventory.eventState(change.eventID).status == .cancelled, change.status != .cancelled {
            return .ignored
        }
        let superseded = try change.origin.map { try changedSince($0, of: change.eventID) } ?? false
        if !superseded {
            _ = try applyStatus(
                change.eventID, to: change.status, reason: change.reason, actor: "central", fromCentral: true)
        }
        if let version = change.version {
            try db.execute(
                """
                INSERT INTO event_central_status (event_id, version) VALUES (?, ?)
                ON CONFLICT (event_id) DO UPDATE SET version = excluded.version
                """, [change.eventID, version])
        }
        return .applied
    }

    /// True when `origin` is a record of this node and the node changed the event's status again
    /// after it (a later `event.status_changed` in its outbox, which keeps every record).
    private func changedSince(_ origin: EventStatusOrigin, of eventID: String) throws -> Bool {
        guard origin.nodeID == (try node.settings().nodeID) else { return false }
        return try db.row(
            "SELECT 1 FROM sync_outbox WHERE seq > ? AND record_type = ? AND entity_id = ? LIMIT 1",
            [origin.seq, SyncRecordType.eventStatusChanged.rawValue, eventID]) != nil
    }

    /// Changes an event's status inside the caller's transaction. A change made here goes to
    /// central with the version of central's status it was made over; one central made does not.
    func applyStatus(
        _ eventID: String, to status: EventStatus, reason: String?, actor: String, fromCentral: Bool = false
    ) throws -> EventChange {
        let before = try node.inventory.eventState(eventID)
        let allowed: Set<EventStatus> =
            switch before.status {
            case .draft: [.onSale, .cancelled]
            case .onSale: [.closed, .cancelled]
            case .closed: [.onSale, .cancelled]
            case .cancelled: []
            }
        if before.status == status {
            return EventChange(
                event: try event(eventID), previousStatus: before.status, refundsQueued: 0, holdsReleased: 0)
        }
        guard allowed.contains(status) else {
            throw TicketingError.rejected(
                code: "bad_transition",
                message: "event \(eventID) is \(before.status.rawValue); "
                    + "it cannot become \(status.rawValue)")
        }
        var holdsReleased = 0
        var refundsQueued = 0
        if status == .cancelled {
            for row in try db.rows("SELECT * FROM hold WHERE event_id = ? AND status = 'active'", [eventID]) {
                try node.inventory.giveBack(try row.decode(HoldState.self), as: .released, by: actor)
                holdsReleased += 1
            }
            let orders = try db.rows(
                """
                SELECT DISTINCT order_id FROM ticket WHERE event_id = ? AND status IN \(TicketStatus.liveList) ORDER BY order_id
                """, [eventID]
            ).map { try $0.get(0, as: String.self) }
            for orderID in orders
            where try node.refunds.queue(
                orderID: orderID, ticketCodes: nil, reason: reason ?? "event cancelled",
                origin: .eventCancelled, actor: actor) != nil
            {
                try NotificationQueue(node: node).enqueue(.eventCancelled, orderID: orderID, reason: reason)
                refundsQueued += 1
            }
        }
        guard
            try db.execute(
                "UPDATE event SET status = ?, version = version + 1 WHERE id = ? AND status = ?",
                [status.rawValue, eventID, before.status.rawValue]) == 1
        else {
            throw TicketingError.conflict("event \(eventID) changed meanwhile; try again")
        }
        if !fromCentral {
            try node.outbox.append(
                .eventStatusChanged, id: eventID,
                payload: EventStatusRecord(
                    eventID: eventID, nodeID: try node.settings().nodeID, status: status, reason: reason,
                    changedAt: node.clock.now(), actor: actor, fromVersion: try centralStatusVersion(eventID)))
        }
        var detail = ["from": before.status.rawValue, "refunds_queued": String(refundsQueued)]
        if let reason { detail["reason"] = reason }
        try node.audit.record("event.\(status.rawValue)", by: actor, entity: "event", id: eventID, detail: detail)
        return EventChange(
            event: try event(eventID), previousStatus: before.status, refundsQueued: refundsQueued,
            holdsReleased: holdsReleased)
    }

    static func summary(from row: Row) throws -> EventSummary { try row.decode(EventSummary.self) }
}

extension VenueNode {
    /// Events and reference data.
    public var catalog: Catalog { Catalog(node: self) }
}
