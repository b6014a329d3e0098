import EdgeStore
import SyncWire

/// What is left to sell of an event at this node.
public struct Availability: Sendable, Codable, Equatable {
    public let eventID: String
    public let name: String
    public let status: EventStatus
    public let startsAt: Timestamp
    /// The venue's IANA zone: how people read `startsAt`.
    public let timezone: String
    /// The event's total capacity, if it has one beyond its categories.
    public let capacity: Int?
    public let sold: Int
    public let held: Int
    public let categories: [Category]

    public struct Category: Sendable, Codable, Equatable {
        public let code: String
        public let name: String
        public let kind: CategoryKind
        public let price: Money
        /// What this node may sell.
        public let quota: Int
        public let sold: Int
        public let held: Int
        /// What this node can still sell, counting the event's capacity too.
        public let available: Int
    }
}

/// One seat as the seat map shows it.
public struct SeatView: Sendable, Codable, Equatable {
    public let label: String
    public let category: String
    public let section: String
    public let row: String
    public let number: Int
    /// Available, held, sold, or unallocated (another node's).
    public let status: SeatStatus
    /// The version a compare-and-set checks.
    public let version: Int64
}

extension Inventory {
    /// Availability of every category of an event, after expiring due holds.
    public func availability(eventID: String) throws -> Availability {
        if try hasExpiredHolds(eventID: eventID) { try db.write { try sweepExpiredHolds(eventID: eventID) } }
        return try db.read {
            let event = try eventState(eventID)
            let rows = try db.rows(
                """
                SELECT \(CategoryState.columns),
                       a.quota, a.sold, a.held FROM price_category c
                LEFT JOIN allocation a ON a.event_id = c.event_id AND a.category_code = c.code
                WHERE c.event_id = ? ORDER BY c.price_minor DESC, c.code
                """, [eventID])
            let categories = try rows.map { row -> Availability.Category in
                let category = try CategoryState(row)
                let quota = try row.get("quota", as: Int?.self) ?? 0
                let sold = try row.get("sold", as: Int?.self) ?? 0
                let held = try row.get("held", as: Int?.self) ?? 0
                let available = min(quota - sold - held, event.remaining ?? Int.max)
                return Availability.Category(
                    code: category.code, name: category.name, kind: category.kind,
                    price: Money(minor: category.priceMinor, currency: category.currency),
                    quota: quota, sold: sold, held: held,
                    available: event.status == .onSale ? max(0, available) : 0)
            }
            return Availability(
                eventID: event.id, name: event.name, status: event.status, startsAt: event.startsAt,
                timezone: event.timezone,
                capacity: event.capacity, sold: event.sold, held: event.held, categories: categories)
        }
    }

    /// The seat map of an event's seated categories (one category if given), after expiring due holds.
    public func seats(eventID: String, categoryCode: String?) throws -> [SeatView] {
        if try hasExpiredHolds(eventID: eventID) { try db.write { try sweepExpiredHolds(eventID: eventID) } }
        return try db.read {
            let event = try eventState(eventID)
            let codes: [String]
            if let categoryCode {
                guard try categoryState(eventID: eventID, code: categoryCode).kind == .seated else {
                    throw TicketingError.invalidInput("\(categoryCode) is general admission and has no seats")
                }
                codes = [categoryCode]
            } else {
                codes = try db.rows(
                    "SELECT code FROM price_category WHERE event_id = ? AND kind = 'seated' ORDER BY code", [eventID]
                )
                .map { try $0.get(0) }
            }
            return try codes.flatMap { try seatMap(event: event, categoryCode: $0) }
        }
    }

    /// A category's seats with their place in the venue, in rank order (section, row, number).
    func seatMap(event: EventState, categoryCode: String) throws -> [SeatView] {
        var seats = [SeatView]()
        try db.forEachRow(Self.seatMap, [event.venueID, event.id, categoryCode]) { row in
            seats.append(
                SeatView(
                    label: try row.get(0), category: categoryCode, section: try row.get(1), row: try row.get(2),
                    number: try row.get(3), status: try row.get(4), version: try row.get(5)))
            return true
        }
        return seats
    }

    /// Read through `seat_by_rank`, without a sort.
    private static let seatMap = """
        SELECT es.seat_label, s.section, s.row_label, s.number, es.status, es.version
        FROM seat s CROSS JOIN event_seat es
        WHERE s.venue_id = ? AND es.event_id = ? AND es.seat_label = s.label AND es.category_code = ?
        ORDER BY s.section_rank, s.row_rank, s.number
        """
}
