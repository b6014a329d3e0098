import Foundation
import MySQLClient
import SyncWire

/// What a central import added, changed and left alone, and what it published.
public struct CentralImportSummary: Sendable, Codable, Equatable {
    public struct Counts: Sendable, Codable, Equatable {
        public var added = 0, updated = 0, unchanged = 0
    }
    public var venues = Counts(), seats = Counts(), events = Counts(), categories = Counts()
    /// Allocation proposals made (and left as they were).
    public var proposals = 0, allocationsUnchanged = 0
    /// Catalog changes published for nodes to pull.
    public var changesPublished = 0
    /// True when the file's node parameters differed from central's and were published.
    public var parametersPublished = false

    /// True when the import changed nothing.
    public var isNoOp: Bool {
        [venues, seats, events, categories].allSatisfy { $0.added == 0 && $0.updated == 0 } && proposals == 0
            && changesPublished == 0 && !parametersPublished
    }
}

/// An event as head office sees it: its catalog data and what all nodes together sold.
public struct CentralEventSummary: Sendable, Codable, Equatable {
    public let id: String
    public let name: String
    public let status: EventStatus
    public let startsAt: Timestamp
    public let capacity: Int?
    /// Valid and checked-in tickets reported by all nodes.
    public let sold: Int
    public let revenueMinor: Int64
    /// The venue's IANA zone: how people read `startsAt`.
    public let timezone: String
}

/// Central's catalog: the system of record that nodes pull.
public struct CentralCatalog {
    let connection: MySQLConnection

    public init(connection: MySQLConnection) { self.connection = connection }

    /// Loads a reference file (`Fixtures/reference/*.json`) into central in one transaction:
    /// node parameters (published as a `node.parameters` change when they differ from central's),
    /// venues and seats, events and categories (publishing a `catalog.event` change for each that
    /// changed) and allocation proposals. Staff stay with the nodes. Importing the same file twice
    /// changes nothing.
    public func importReference(file path: String, now: Timestamp) throws -> CentralImportSummary {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw CentralError.notFound("cannot read \(path)")
        }
        let reference: ReferenceData
        do {
            reference = try JSONText.decoder().decode(ReferenceData.self, from: data)
        } catch {
            throw CentralError.invalidInput("\(path) is not valid reference data: \(error)")
        }
        guard reference.format == "venue-reference/1" else {
            throw CentralError.invalidInput(
                "unknown reference format '\(reference.format.prefix(40))'; expected venue-reference/1")
        }
        return try connection.transaction { try importInTransaction(reference, now: now) }
    }

    /// Imports `reference` inside the caller's transaction.
    func importInTransaction(_ reference: ReferenceData, now: Timestamp) throws -> CentralImportSummary {
        let currency = reference.parameters?.currency ?? "EUR"
        var summary = CentralImportSummary()
        if let parameters = reference.parameters {
            summary.parametersPublished = try publish(parameters, now: now)
            if summary.parametersPublished { summary.changesPublished += 1 }
        }
        var changedVenues = Set<String>()
        for venue in reference.venues where try importVenue(venue, now: now, into: &summary) {
            changedVenues.insert(venue.id)
        }
        for event in reference.events {
            let changed = try importEvent(event, currency: currency, now: now, into: &summary)
            guard changed || changedVenues.contains(event.venue) else { continue }
            let given = reference.venues.first(where: { $0.id == event.venue })
            guard let venue = try given ?? storedVenue(event.venue) else {
                throw CentralError.notFound("event \(event.id): no venue '\(event.venue.prefix(40))'")
            }
            let payload = ReferenceData(
                format: "venue-reference/1", venues: [venue], events: [event], allocations: [], staff: [])
            try ChangeFeed(connection: connection).append(
                .catalogEvent, entityID: event.id, node: nil,
                payload: try JSONText.encode(payload), now: now)
            summary.changesPublished += 1
        }
        let allocations = CentralAllocations(connection: connection)
        for allocation in reference.allocations {
            let outcome = try allocations.proposeInTransaction(
                AllocationRequest(
                    eventID: allocation.event, categoryCode: allocation.category, nodeID: allocation.node,
                    quota: allocation.quota,
                    seatSelectors: allocation.seats), now: now)
            if outcome.changed { summary.proposals += 1 } else { summary.allocationsUnchanged += 1 }
        }
        return summary
    }

    /// Keeps the parameters every node sells under and publishes them, unless central holds these
    /// already; returns true when it published. Refuses parameters a node would refuse.
    private func publish(_ parameters: ReferenceData.Parameters, now: Timestamp) throws -> Bool {
        if let problem = parameters.problem { throw CentralError.invalidInput("parameters: \(problem)") }
        let text = try JSONText.encode(parameters)
        guard try self.parameters() != parameters else { return false }
        try connection.execute(
            """
            INSERT INTO node_parameters (node_id, parameters, updated_at) VALUES ('', ?, ?)
            ON DUPLICATE KEY UPDATE parameters = ?, updated_at = ?
            """, [text, now.sqlText, text, now.sqlText])
        try ChangeFeed(connection: connection).append(
            .nodeParameters, entityID: "*", node: nil,
            payload: try JSONText.encode(NodeParametersChange(nodeID: nil, parameters: parameters)), now: now)
        return true
    }

    /// The parameters every node sells under, as last imported (nil: none imported).
    public func parameters() throws -> ReferenceData.Parameters? {
        try connection.scalar("SELECT parameters FROM node_parameters WHERE node_id = ''", as: String.self)
            .map { try JSONText.decode(ReferenceData.Parameters.self, from: $0) }
    }

    /// Returns true when the venue or its seat map changed.
    private func importVenue(_ venue: ReferenceData.Venue, now: Timestamp, into summary: inout CentralImportSummary)
        throws -> Bool
    {
        guard LocalTime.isZone(venue.timezone) else {
            throw CentralError.invalidInput(
                "venue \(venue.id.prefix(40)): unknown time zone '\(venue.timezone.prefix(64))'; give an IANA name like Europe/Amsterdam"
            )
        }
        let definition = try JSONText.encode(venue)
        let existing = try connection.row("SELECT name, timezone, definition FROM venue WHERE id = ?", [venue.id])
        let values: [SQLValue] = [.text(venue.name), .text(venue.timezone), .text(definition)]
        var changed = true
        if existing == nil {
            summary.venues.added += 1
        } else if existing!.values == values {
            summary.venues.unchanged += 1
            changed = false
        } else {
            summary.venues.updated += 1
        }
        try connection.execute(
            """
            INSERT INTO venue (id, name, timezone, definition, updated_at) VALUES (?, ?, ?, ?, ?)
            ON DUPLICATE KEY UPDATE name = ?, timezone = ?, definition = ?
            """,
            [venue.id, venue.name, venue.timezone, definition, now.sqlText, venue.name, venue.timezone, definition])
        var seats = [[any SQLValueConvertible]]()
        do {
            for section in venue.sections {
                for group in section.rows {
                    for row in try group.expandedLabels() {
                        for number in 1...max(1, group.seats) {
                            seats.append([venue.id, "\(section.code)-\(row)-\(number)", section.code, row, number])
                        }
                    }
                }
            }
        } catch let error as ReferenceDataError {
            throw CentralError.invalidInput("venue \(venue.id): \(error.message)")
        }
        let added = try connection.insertRows(
            into: "seat (venue_id, label, section, row_label, number)", "(?, ?, ?, ?, ?)", onDuplicate: "label = label",
            seats)
        summary.seats.added += added
        summary.seats.unchanged += seats.count - added
        return changed
    }

    /// Returns true when the event or one of its categories changed.
    private func importEvent(
        _ event: ReferenceData.Event, currency: String, now: Timestamp, into summary: inout CentralImportSummary
    ) throws -> Bool {
        guard let startsAt = Timestamp(iso8601: event.startsAt) else {
            throw CentralError.invalidInput(
                "event \(event.id): starts_at '\(event.startsAt.prefix(40))' is not ISO 8601")
        }
        guard ["draft", "on_sale", "closed", "cancelled"].contains(event.status) else {
            throw CentralError.invalidInput("event \(event.id): unknown status '\(event.status.prefix(20))'")
        }
        guard let venue: String = try connection.scalar("SELECT definition FROM venue WHERE id = ?", [event.venue])
        else {
            throw CentralError.notFound("event \(event.id): no venue '\(event.venue.prefix(40))'")
        }
        let existing = try connection.row(
            "SELECT venue_id, name, starts_at, capacity FROM event WHERE id = ?", [event.id])
        let values: [SQLValue] = [
            .text(event.venue), .text(event.name), .text(startsAt.sqlText),
            event.capacity.map { .integer(Int64($0)) } ?? .null,
        ]
        var changed = existing == nil || existing!.values != values
        if existing == nil {
            summary.events.added += 1
        } else if changed {
            summary.events.updated += 1
        } else {
            summary.events.unchanged += 1
        }
        try connection.execute(
            """
            INSERT INTO event (id, venue_id, name, starts_at, status, capacity, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)
            ON DUPLICATE KEY UPDATE venue_id = ?, name = ?, starts_at = ?, capacity = ?
            """,
            [
                event.id, event.venue, event.name, startsAt.sqlText, event.status, event.capacity, now.sqlText,
                event.venue, event.name, startsAt.sqlText, event.capacity,
            ])
        let venueSections = try JSONText.decode(ReferenceData.Venue.self, from: venue).sections
        for category in event.categories {
            let capacity: Int
            switch category.kind {
            case "ga":
                guard let given = category.capacity, given >= 0 else {
                    throw CentralError.invalidInput("GA category \(category.code) needs a capacity")
                }
                capacity = given
            case "seated":
                let sections = category.sections ?? []
                capacity = try venueSections.filter { sections.contains($0.code) }.reduce(0) { total, section in
                    total + (try section.rows.reduce(0) { $0 + (try $1.expandedLabels().count) * $1.seats })
                }
            default:
                throw CentralError.invalidInput("category \(category.code): kind must be ga or seated")
            }
            let sections = try category.sections.map { try JSONText.encode($0) }
            let previous = try connection.row(
                "SELECT name, kind, price_minor, currency, capacity, sections FROM price_category WHERE event_id = ? AND code = ?",
                [event.id, category.code])
            let categoryValues: [SQLValue] = [
                .text(category.name), .text(category.kind), .integer(category.priceMinor), .text(currency),
                .integer(Int64(capacity)), sections.map { .text($0) } ?? .null,
            ]
            if previous == nil {
                summary.categories.added += 1
                changed = true
            } else if previous!.values != categoryValues {
                summary.categories.updated += 1
                changed = true
            } else {
                summary.categories.unchanged += 1
            }
            try connection.execute(
                """
                INSERT INTO price_category (event_id, code, name, kind, price_minor, currency, capacity, sections) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                ON DUPLICATE KEY UPDATE name = ?, kind = ?, price_minor = ?, currency = ?, capacity = ?, sections = ?
                """,
                [
                    event.id, category.code, category.name, category.kind, category.priceMinor, currency, capacity,
                    sections,
                    category.name, category.kind, category.priceMinor, currency, capacity, sections,
                ])
        }
        return changed
    }

    private func storedVenue(_ id: String) throws -> ReferenceData.Venue? {
        try connection.scalar("SELECT definition FROM venue WHERE id = ?", [id], as: String.self)
            .map { try JSONText.decode(ReferenceData.Venue.self, from: $0) }
    }

    /// Every event with what all nodes sold.
    public func events() throws -> [CentralEventSummary] {
        try connection.rows(
            """
            SELECT e.id, e.name, e.status, e.starts_at, e.capacity, COALESCE(v.timezone, 'UTC') AS timezone,
                   (SELECT COUNT(*) FROM ticket t WHERE t.event_id = e.id AND t.status IN \(TicketStatus.liveList)) AS sold,
                   (SELECT COALESCE(SUM(t.price_minor), 0) FROM ticket t WHERE t.event_id = e.id AND t.status IN \(TicketStatus.liveList)) AS revenue_minor
            FROM event e LEFT JOIN venue v ON v.id = e.venue_id ORDER BY e.starts_at, e.id
            """
        ).map { try $0.decode(CentralEventSummary.self) }
    }

    /// Cancels, closes or reopens an event centrally; every node pulls the change (a cancellation
    /// makes each node queue refunds and notifications for its orders).
    public func changeStatus(_ eventID: String, to status: EventStatus, reason: String?, now: Timestamp) throws
        -> CentralEventSummary
    {
        guard status != .draft else {
            throw CentralError.invalidInput("an event cannot go back to draft; it can be on_sale, closed or cancelled")
        }
        if status == .cancelled, (reason ?? "").isEmpty {
            throw CentralError.invalidInput("cancelling an event needs a reason")
        }
        try connection.transaction {
            guard
                let current = try connection.row(
                    "SELECT status, status_version FROM event WHERE id = ? FOR UPDATE", [eventID])?.decode(
                        EventStatusRow.self)
            else {
                throw CentralError.notFound("no event '\(eventID.prefix(40))' at central")
            }
            guard current.status != .cancelled else {
                throw CentralError.rejected(
                    code: "bad_transition", message: "event \(eventID) is cancelled; it cannot become \(status)")
            }
            guard current.status != status else { return }
            try EventStatusPublisher(connection: connection).publish(
                eventID, status: status, reason: reason, after: current.statusVersion)
        }
        guard let summary = try events().first(where: { $0.id == eventID }) else {
            throw CentralError.notFound("no event \(eventID)")
        }
        return summary
    }
}
