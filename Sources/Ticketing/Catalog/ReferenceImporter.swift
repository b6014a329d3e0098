import EdgeStore
import FoundationEssentials
import SyncWire

/// What an import added, changed and left alone.
public struct ImportSummary: Sendable, Codable, Equatable {
    public struct Counts: Sendable, Codable, Equatable {
        public var added = 0, updated = 0, unchanged = 0
        mutating func count(_ change: AllocationChange) {
            switch change {
            case .added: added += 1
            case .updated: updated += 1
            case .unchanged: unchanged += 1
            }
        }
    }
    public var venues = Counts(), seats = Counts(), events = Counts(), categories = Counts()
    public var allocations = Counts(), staff = Counts()
    public var settings: [String] = []

    /// True when the import changed nothing.
    public var isNoOp: Bool {
        [venues, seats, events, categories, allocations, staff].allSatisfy { $0.added == 0 && $0.updated == 0 }
            && settings.isEmpty
    }
}

/// Loads reference data into the node in one transaction. Importing the same file twice
/// changes nothing; an event's status and this node's sales are never rolled back by an import.
struct ReferenceImporter {
    let node: VenueNode
    var db: Database { node.database }

    /// Imports inside the caller's write transaction. `actor` is a staff name, or `central` for
    /// catalog changes pulled from central (which carry no staff); `staffBy` is the operator whose
    /// rights the staff section is checked against (the Users service's rules).
    func apply(_ data: ReferenceData, actor: String, staffBy staffActor: Operator? = nil) throws -> ImportSummary {
        guard data.format == "venue-reference/1" else {
            throw TicketingError.invalidInput(
                "unknown reference format '\(data.format.prefix(40))'; expected venue-reference/1")
        }
        do {
            var summary = ImportSummary()
            var settings = try node.settings()
            try apply(data.parameters, to: &settings)
            summary.settings = try settings.save(to: node)
            for venue in data.venues { try importVenue(venue, into: &summary) }
            for event in data.events { try importEvent(event, currency: settings.currency, into: &summary) }
            for allocation in data.allocations where allocation.node == settings.nodeID {
                summary.allocations.count(
                    try node.inventory.setAllocation(
                        eventID: allocation.event, categoryCode: allocation.category, quota: allocation.quota,
                        seatSelectors: allocation.seats))
            }
            if !data.staff.isEmpty {
                guard let staffActor else {
                    throw TicketingError.notPermitted("staff can only be imported by a logged-in admin")
                }
                let staff = try node.users.importStaff(data.staff, by: staffActor)
                summary.staff = ImportSummary.Counts(
                    added: staff.added, updated: staff.updated, unchanged: staff.unchanged)
            }
            if !summary.isNoOp {
                try node.audit.record(
                    "reference.imported", by: actor, entity: "node", id: settings.nodeID,
                    detail: ["events": String(data.events.count)])
            }
            return summary
        } catch let error as ReferenceDataError {
            throw TicketingError.invalidInput(error.message)
        }
    }

    /// Sets `settings` to the parameters given (a parameter left out keeps its value); the
    /// currency cannot change once the node has orders. Also applies parameters pulled from central.
    func apply(_ parameters: ReferenceData.Parameters?, to settings: inout NodeSettings) throws {
        guard let parameters else { return }
        if let problem = parameters.problem { throw TicketingError.invalidInput(problem) }
        if let currency = parameters.currency, currency != settings.currency {
            guard try db.scalar("SELECT 1 FROM orders LIMIT 1", as: Int.self) == nil else {
                throw TicketingError.rejected(
                    code: "currency_locked",
                    message: "the node has orders in \(settings.currency); its currency cannot change")
            }
            settings.currency = currency
        }
        if let seconds = parameters.holdTTL.flatMap(DurationText.seconds) { settings.holdTTLSeconds = seconds }
        if let seconds = parameters.sessionTTL.flatMap(DurationText.seconds) { settings.sessionTTLSeconds = seconds }
        if let maximum = parameters.maxTicketsPerOrder { settings.maxTicketsPerOrder = maximum }
        if let mailFrom = parameters.mailFrom {
            settings.mailFrom = try Validation.text(mailFrom, field: "mail_from", maxLength: 200)
        }
        if let maximum = parameters.maxCashChangeMinor { settings.maxCashChangeMinor = maximum }
    }

    private func importVenue(_ venue: ReferenceData.Venue, into summary: inout ImportSummary) throws {
        let id = try Validation.code(venue.id, field: "venue id")
        let name = try Validation.text(venue.name, field: "venue name", maxLength: SyncLimits.name)
        let timezone = try Validation.text(venue.timezone, field: "timezone", maxLength: 64)
        guard LocalTime.isZone(timezone) else {
            throw TicketingError.invalidInput(
                "venue \(venue.id.prefix(40)): unknown time zone '\(timezone)'; give an IANA name like Europe/Amsterdam"
            )
        }
        summary.venues.count(
            try upsert(
                select: "SELECT name, timezone FROM venue WHERE id = ?", key: [id], values: [name, timezone],
                insert: "INSERT INTO venue (id, name, timezone) VALUES (?, ?, ?)",
                update: "UPDATE venue SET name = ?, timezone = ? WHERE id = ?"))
        var rowRank = 0
        for (sectionRank, section) in venue.sections.enumerated() {
            let code = try Validation.code(section.code, field: "section")
            for group in section.rows {
                guard (1...500).contains(group.seats) else {
                    throw TicketingError.invalidInput("a row has 1 to 500 seats")
                }
                for rowLabel in try group.expandedLabels() {
                    rowRank += 1
                    for number in 1...group.seats {
                        let label = "\(code)-\(rowLabel)-\(number)"
                        let added = try db.execute(
                            """
                            INSERT INTO seat (venue_id, label, section, row_label, number, section_rank, row_rank)
                            VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING
                            """, [id, label, code, rowLabel, number, sectionRank, rowRank])
                        if added == 1 { summary.seats.added += 1 } else { summary.seats.unchanged += 1 }
                    }
                }
            }
        }
    }

    private func importEvent(_ event: ReferenceData.Event, currency: String, into summary: inout ImportSummary) throws {
        let id = try Validation.code(event.id, field: "event id")
        let name = try Validation.text(event.name, field: "event name", maxLength: SyncLimits.name)
        guard let startsAt = Timestamp(iso8601: event.startsAt) else {
            throw TicketingError.invalidInput("event \(id): starts_at '\(event.startsAt.prefix(40))' is not ISO 8601")
        }
        guard let status = EventStatus(rawValue: event.status) else {
            throw TicketingError.invalidInput("event \(id): unknown status '\(event.status.prefix(20))'")
        }
        guard try db.scalar("SELECT 1 FROM venue WHERE id = ?", [event.venue], as: Int.self) != nil else {
            throw TicketingError.notFound("event \(id): no venue '\(event.venue.prefix(40))'")
        }
        if let capacity = event.capacity, capacity < 0 {
            throw TicketingError.invalidInput("event \(id): negative capacity")
        }
        if let existing = try db.row("SELECT sold, held FROM event WHERE id = ?", [id]),
            let capacity = event.capacity,
            capacity < (try existing.get("sold", as: Int.self)) + (try existing.get("held", as: Int.self))
        {
            throw TicketingError.rejected(
                code: "capacity_below_sales", message: "event \(id): capacity \(capacity) is below what is sold")
        }
        summary.events.count(
            try upsert(
                select: "SELECT venue_id, name, starts_at, capacity FROM event WHERE id = ?", key: [id],
                values: [event.venue, name, startsAt.milliseconds, event.capacity],
                insert: "INSERT INTO event (id, venue_id, name, starts_at, capacity, status) VALUES (?, ?, ?, ?, ?, ?)",
                insertExtra: [status.rawValue],
                update: "UPDATE event SET venue_id = ?, name = ?, starts_at = ?, capacity = ? WHERE id = ?"))
        for category in event.categories {
            try importCategory(category, eventID: id, venueID: event.venue, currency: currency, into: &summary)
        }
    }

    private func importCategory(
        _ category: ReferenceData.Category, eventID: String, venueID: String, currency: String,
        into summary: inout ImportSummary
    ) throws {
        let code = try Validation.code(category.code, field: "category code")
        let name = try Validation.text(category.name, field: "category name", maxLength: SyncLimits.name)
        guard let kind = CategoryKind(rawValue: category.kind) else {
            throw TicketingError.invalidInput("category \(code): kind must be ga or seated")
        }
        guard category.priceMinor >= 0 else { throw TicketingError.invalidInput("category \(code): negative price") }
        if let existing: String = try db.scalar(
            "SELECT kind FROM price_category WHERE event_id = ? AND code = ?", [eventID, code]),
            existing != kind.rawValue
        {
            throw TicketingError.rejected(
                code: "category_kind_locked",
                message: "category \(eventID) \(code) cannot change from \(existing) to \(kind.rawValue)")
        }
        let capacity: Int
        var seatLabels: [String] = []
        switch kind {
        case .ga:
            guard let given = category.capacity, given >= 0 else {
                throw TicketingError.invalidInput("GA category \(code) needs a capacity")
            }
            capacity = given
        case .seated:
            guard let sections = category.sections, !sections.isEmpty else {
                throw TicketingError.invalidInput("seated category \(code) needs its sections")
            }
            for section in sections {
                let labels = try db.rows(
                    "SELECT label FROM seat WHERE venue_id = ? AND section = ? ORDER BY row_rank, number",
                    [venueID, section]
                ).map { try $0.get(0, as: String.self) }
                guard !labels.isEmpty else {
                    throw TicketingError.notFound("category \(code): venue has no section '\(section.prefix(40))'")
                }
                seatLabels += labels
            }
            capacity = seatLabels.count
        }
        summary.categories.count(
            try upsert(
                select:
                    "SELECT name, kind, price_minor, currency, capacity FROM price_category WHERE event_id = ? AND code = ?",
                key: [eventID, code], values: [name, kind.rawValue, category.priceMinor, currency, capacity],
                insert:
                    "INSERT INTO price_category (event_id, code, name, kind, price_minor, currency, capacity) VALUES (?, ?, ?, ?, ?, ?, ?)",
                update:
                    "UPDATE price_category SET name = ?, kind = ?, price_minor = ?, currency = ?, capacity = ? WHERE event_id = ? AND code = ?"
            ))
        for label in seatLabels {
            try db.execute(
                """
                INSERT INTO event_seat (event_id, venue_id, seat_label, category_code, status, seat_rank)
                SELECT ?, venue_id, label, ?, 'unallocated', \(NodeSchema.seatRank) FROM seat WHERE venue_id = ? AND label = ?
                ON CONFLICT DO NOTHING
                """, [eventID, code, venueID, label])
        }
    }

    /// Inserts a row, updates it when its values differ, or leaves it: the heart of "importing
    /// twice changes nothing". `key` goes first in the INSERT (then `values`, then
    /// `insertExtra`) and last in the UPDATE.
    private func upsert(
        select: String, key: [any SQLValueConvertible], values: [any SQLValueConvertible],
        insert: String, insertExtra: [any SQLValueConvertible] = [],
        update: String
    ) throws -> AllocationChange {
        guard let row = try db.row(select, key) else {
            try db.execute(insert, key + values + insertExtra)
            return .added
        }
        guard row.values != values.map(\.sqlValue) else { return .unchanged }
        try db.execute(update, values + key)
        return .updated
    }
}

extension Catalog {
    /// Imports a reference data file (admins and supervisors).
    public func importReference(file path: String, by actor: Operator) throws -> ImportSummary {
        try actor.require(.supervisor, to: "importing reference data")
        guard let data = FileManager.default.contents(atPath: path) else {
            throw TicketingError.notFound("cannot read \(path)")
        }
        let reference: ReferenceData
        do {
            reference = try JSONText.decoder().decode(ReferenceData.self, from: data)
        } catch let error as DecodingError {
            throw TicketingError.invalidInput("\(path) is not valid reference data: \(Self.describe(error))")
        } catch {
            throw TicketingError.invalidInput("\(path) is not valid JSON")
        }
        let importer = ReferenceImporter(node: node)
        return try db.write {
            try ChangeGate(db: db).requireOpen()
            return try importer.apply(reference, actor: actor.name, staffBy: actor)
        }
    }

    private static func describe(_ error: DecodingError) -> String {
        func path(_ context: DecodingError.Context) -> String {
            context.codingPath.map { $0.intValue.map(String.init) ?? $0.stringValue }.joined(separator: ".")
        }
        switch error {
        case .keyNotFound(let key, let context): return "missing '\(key.stringValue)' at \(path(context))"
        case .typeMismatch(_, let context), .valueNotFound(_, let context): return "wrong type at \(path(context))"
        case .dataCorrupted(let context): return context.debugDescription
        @unknown default: return "\(error)"
        }
    }
}
