import EdgeStore
import SyncWire

/// A hold request: inventory kept for a customer for a while, without payment.
public struct HoldRequest: Sendable {
    public var eventID: String
    public var categoryCode: String
    public var selection: SeatSelection
    /// Seconds; nil for the node's default (10 minutes unless configured).
    public var ttlSeconds: Int64?

    public init(eventID: String, categoryCode: String, selection: SeatSelection, ttlSeconds: Int64? = nil) {
        self.eventID = eventID
        self.categoryCode = categoryCode
        self.selection = selection
        self.ttlSeconds = ttlSeconds
    }
}

/// A hold as shown to the cashier.
public struct HoldReceipt: Sendable, Codable, Equatable {
    public let holdID: String
    public let eventID: String
    public let category: String
    public let quantity: Int
    public let seats: [String]
    public let status: HoldStatus
    public let expiresAt: Timestamp
    /// The order that confirmed it, once confirmed.
    public let orderID: String?
    /// The venue's IANA zone: how people read `expiresAt`.
    public let timezone: String
}

/// A hold row.
struct HoldState: Decodable {
    let id: String
    let eventID: String
    let categoryCode: String
    let quantity: Int
    let status: HoldStatus
    let expiresAt: Timestamp
    let orderID: String?
}

extension Inventory {
    /// The longest hold: a day.
    static let maxHoldSeconds = ReferenceData.Parameters.maxHoldSeconds

    /// Holds inventory until it is confirmed, released, or expires.
    public func hold(_ request: HoldRequest, by actor: Operator) throws -> HoldReceipt {
        let settings = try node.settings()
        try SaleLimits.check(request.selection, settings: settings)
        let ttl = request.ttlSeconds ?? settings.holdTTLSeconds
        guard (1...Self.maxHoldSeconds).contains(ttl) else {
            throw TicketingError.invalidInput("a hold lasts from 1 second to 24 hours, not \(ttl) seconds")
        }
        let holdID = node.ids.make(.hold)
        return try db.write {
            try ChangeGate(db: db).requireOpen()
            try sweepExpiredHolds(eventID: request.eventID)
            let reservation = try reserve(
                eventID: request.eventID, categoryCode: request.categoryCode,
                selection: request.selection, into: .held(holdID: holdID))
            try db.execute(
                """
                INSERT INTO hold (id, event_id, category_code, quantity, status, created_at, \(Self.expiry.columns),
                                  created_by)
                VALUES (?, ?, ?, ?, 'active', ?, ?, ?, ?, ?)
                """,
                [holdID, request.eventID, request.categoryCode, reservation.quantity, node.clock.now().milliseconds]
                    + Deadline(after: ttl, on: node.clock).values + [actor.id])
            try node.audit.record(
                "hold.placed", by: actor.name, entity: "hold", id: holdID,
                detail: [
                    "event": request.eventID, "category": request.categoryCode,
                    "quantity": String(reservation.quantity),
                ])
            return try holdReceipt(holdID)
        }
    }

    /// Releases an active hold. Releasing one already released or expired changes nothing; a
    /// confirmed hold is refused (refund its order instead).
    public func release(holdID: String, by actor: Operator) throws -> HoldReceipt {
        try db.write {
            try ChangeGate(db: db).requireOpen()
            try sweepExpiredHolds(eventID: nil)
            let hold = try holdState(holdID)
            switch hold.status {
            case .active:
                try giveBack(hold, as: .released, by: actor.name)
            case .confirmed:
                throw TicketingError.rejected(
                    code: "hold_confirmed",
                    message: "hold \(holdID) was confirmed as order \(hold.orderID ?? "?"); refund the order instead")
            case .released, .expired:
                break
            }
            return try holdReceipt(holdID)
        }
    }

    /// When a hold expires: its time to live on the boot clock, so that a step of the wall clock
    /// neither keeps it an hour longer nor ends it early (``Deadline``).
    static let expiry = Deadline.Column("expires")

    /// True when an active hold of the event (of any event when nil) is past its time.
    func hasExpiredHolds(eventID: String?) throws -> Bool {
        let query = expiredHolds("1", eventID: eventID, then: "LIMIT 1")
        return try db.scalar(query.sql, query.arguments) as Int? != nil
    }

    /// Expires due holds inside the caller's write transaction, giving their inventory back.
    /// Every sale, hold and availability read calls it first, so expired holds free their
    /// seats without anyone calling release.
    @discardableResult
    func sweepExpiredHolds(eventID: String?) throws -> Int {
        let query = expiredHolds("*", eventID: eventID)
        let rows = try db.rows(query.sql, query.arguments)
        for row in rows { try giveBack(try row.decode(HoldState.self), as: .expired, by: "system") }
        return rows.count
    }

    /// The active holds of the event (of any event when nil) that are past their time.
    private func expiredHolds(_ columns: String, eventID: String?, then rest: String = "") -> (
        sql: String, arguments: [any SQLValueConvertible]
    ) {
        if let eventID {
            Self.expiry.select(
                columns, from: "hold", where: "status = 'active' AND event_id = ?", [eventID], now: node.clock,
                then: rest)
        } else {
            Self.expiry.select(columns, from: "hold", where: "status = 'active'", [], now: node.clock, then: rest)
        }
    }

    /// Gives a hold's inventory back and marks it `status` (released or expired), inside the caller's transaction.
    func giveBack(_ hold: HoldState, as status: HoldStatus, by actor: String) throws {
        try setSeats(try heldSeats(hold.id), eventID: hold.eventID, to: .available, from: .held)
        try adjust(eventID: hold.eventID, categoryCode: hold.categoryCode, soldDelta: 0, heldDelta: -hold.quantity)
        try db.execute("UPDATE hold SET status = ? WHERE id = ? AND status = 'active'", [status, hold.id])
        try node.audit.record("hold.\(status.rawValue)", by: actor, entity: "hold", id: hold.id)
    }

    /// Turns an active hold's inventory into sold inventory, inside the caller's transaction.
    /// The caller records the order with ``markConfirmed(_:orderID:)`` once the order row exists.
    func convertHoldToSale(_ hold: HoldState) throws -> Reservation {
        let seats = try heldSeats(hold.id)
        try setSeats(seats, eventID: hold.eventID, to: .sold, from: .held)
        try adjust(
            eventID: hold.eventID, categoryCode: hold.categoryCode, soldDelta: hold.quantity, heldDelta: -hold.quantity)
        return Reservation(
            event: try eventState(hold.eventID),
            category: try categoryState(eventID: hold.eventID, code: hold.categoryCode),
            quantity: hold.quantity, seats: seats)
    }

    /// Marks a hold confirmed by `orderID`.
    func markConfirmed(_ hold: HoldState, orderID: String) throws {
        try db.execute(
            "UPDATE hold SET status = 'confirmed', order_id = ? WHERE id = ? AND status = 'active'", [orderID, hold.id])
    }

    /// The seats a hold keeps, by label.
    private func heldSeats(_ holdID: String) throws -> [String] {
        try db.rows("SELECT seat_label FROM event_seat WHERE hold_id = ? ORDER BY seat_label", [holdID]).map {
            try $0.get(0)
        }
    }

    func holdState(_ holdID: String) throws -> HoldState {
        guard let row = try db.row("SELECT * FROM hold WHERE id = ?", [holdID]) else {
            throw TicketingError.notFound("no hold '\(holdID.prefix(40))'")
        }
        return try row.decode(HoldState.self)
    }

    func holdReceipt(_ holdID: String) throws -> HoldReceipt {
        let hold = try holdState(holdID)
        let seats: [String]
        if hold.status == .confirmed, let orderID = hold.orderID {
            seats = try db.rows(
                "SELECT seat_label FROM ticket WHERE order_id = ? AND seat_label IS NOT NULL ORDER BY seat_label",
                [orderID]
            ).map { try $0.get(0) }
        } else {
            seats = try heldSeats(holdID)
        }
        return HoldReceipt(
            holdID: hold.id, eventID: hold.eventID, category: hold.categoryCode, quantity: hold.quantity,
            seats: seats, status: hold.status, expiresAt: hold.expiresAt, orderID: hold.orderID,
            timezone: try db.scalar(
                "SELECT v.timezone FROM event e JOIN venue v ON v.id = e.venue_id WHERE e.id = ?", [hold.eventID])
                ?? "UTC")
    }
}

/// Limits every sale and hold obeys before touching inventory.
enum SaleLimits {
    /// What a selection must be whatever the settings: at least one ticket, no seat twice, each
    /// label well formed.
    static func checkShape(_ selection: SeatSelection) throws {
        switch selection {
        case .quantity(let count):
            guard count >= 1 else { throw TicketingError.invalidInput("quantity must be at least 1, not \(count)") }
        case .seats(let labels):
            guard !labels.isEmpty else { throw TicketingError.invalidInput("an order takes at least 1 seat") }
            guard Set(labels).count == labels.count else {
                throw TicketingError.invalidInput("the same seat is listed twice")
            }
            for label in labels { _ = try Validation.code(label, field: "seat") }
        }
    }

    /// ``checkShape(_:)``, and no more tickets than `settings` allow in one order.
    static func check(_ selection: SeatSelection, settings: NodeSettings) throws {
        try checkShape(selection)
        let maximum = settings.maxTicketsPerOrder
        switch selection {
        case .quantity(let count):
            guard count <= maximum else {
                throw TicketingError.invalidInput("quantity must be from 1 to \(maximum), not \(count)")
            }
        case .seats(let labels):
            guard labels.count <= maximum else {
                throw TicketingError.invalidInput("an order takes 1 to \(maximum) seats, not \(labels.count)")
            }
        }
    }
}
