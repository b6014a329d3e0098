/// The reference data file (`Fixtures/reference/*.json`): venues with their seat maps, events with
/// price categories, allocations per node, staff accounts and node parameters.
///
/// Keys are snake_case. Seat rows are declared compactly (`{"labels": "A-T", "seats": 40}`) and
/// expand to seats labelled `SECTION-ROW-NUMBER` (`STALLS-A-12`).
public struct ReferenceData: Codable, Sendable, Equatable {
    /// Must be `venue-reference/1`.
    public let format: String
    public let parameters: Parameters?
    public let venues: [Venue]
    public let events: [Event]
    public let allocations: [Allocation]
    public let staff: [Staff]

    public struct Parameters: Codable, Sendable, Equatable {
        public let currency: String?
        /// A duration such as `10m`.
        public let holdTTL: String?
        public let sessionTTL: String?
        public let maxTicketsPerOrder: Int?
        public let maxCashChangeMinor: Int64?
        /// The From header of customer emails (`Box Office <boxoffice@venue.example>`).
        public let mailFrom: String?

        public init(
            currency: String? = nil, holdTTL: String? = nil, sessionTTL: String? = nil, maxTicketsPerOrder: Int? = nil,
            maxCashChangeMinor: Int64? = nil, mailFrom: String? = nil
        ) {
            self.currency = currency
            self.holdTTL = holdTTL
            self.sessionTTL = sessionTTL
            self.maxTicketsPerOrder = maxTicketsPerOrder
            self.maxCashChangeMinor = maxCashChangeMinor
            self.mailFrom = mailFrom
        }
    }

    public struct Venue: Codable, Sendable, Equatable {
        public let id: String
        public let name: String
        public let timezone: String
        public let sections: [Section]

        public init(id: String, name: String, timezone: String, sections: [Section]) {
            self.id = id
            self.name = name
            self.timezone = timezone
            self.sections = sections
        }
    }

    public struct Section: Codable, Sendable, Equatable {
        public let code: String
        public let rows: [RowGroup]

        public init(code: String, rows: [RowGroup]) {
            self.code = code
            self.rows = rows
        }
    }

    /// One row (`"A"`) or a range of rows (`"A-T"`, `"1-12"`), each with `seats` seats numbered from 1.
    public struct RowGroup: Codable, Sendable, Equatable {
        public let labels: String
        public let seats: Int

        public init(labels: String, seats: Int) {
            self.labels = labels
            self.seats = seats
        }
    }

    public struct Event: Codable, Sendable, Equatable {
        public let id: String
        public let venue: String
        public let name: String
        /// ISO 8601.
        public let startsAt: String
        /// draft, on_sale, closed or cancelled.
        public let status: String
        /// Total tickets the event may sell over all categories; omitted means the sum of categories.
        public let capacity: Int?
        public let categories: [Category]

        public init(
            id: String, venue: String, name: String, startsAt: String, status: String, capacity: Int? = nil,
            categories: [Category]
        ) {
            self.id = id
            self.venue = venue
            self.name = name
            self.startsAt = startsAt
            self.status = status
            self.capacity = capacity
            self.categories = categories
        }
    }

    public struct Category: Codable, Sendable, Equatable {
        public let code: String
        public let name: String
        /// `ga` or `seated`.
        public let kind: String
        public let priceMinor: Int64
        /// GA only: how many tickets the category has.
        public let capacity: Int?
        /// Seated only: the sections whose seats belong to the category.
        public let sections: [String]?

        public init(
            code: String, name: String, kind: String, priceMinor: Int64, capacity: Int? = nil, sections: [String]? = nil
        ) {
            self.code = code
            self.name = name
            self.kind = kind
            self.priceMinor = priceMinor
            self.capacity = capacity
            self.sections = sections
        }
    }

    /// What one node may sell of one category: a GA quota, or seats by selector
    /// (`*` for all, a section `STALLS`, a row `STALLS-A`, or a seat `STALLS-A-12`).
    public struct Allocation: Codable, Sendable, Equatable {
        public let node: String
        public let event: String
        public let category: String
        public let quota: Int?
        public let seats: [String]?

        public init(node: String, event: String, category: String, quota: Int? = nil, seats: [String]? = nil) {
            self.node = node
            self.event = event
            self.category = category
            self.quota = quota
            self.seats = seats
        }
    }

    public struct Staff: Codable, Sendable, Equatable {
        public let name: String
        public let role: String

        public init(name: String, role: String) {
            self.name = name
            self.role = role
        }
    }

    public init(
        format: String, parameters: Parameters? = nil, venues: [Venue], events: [Event], allocations: [Allocation],
        staff: [Staff]
    ) {
        self.format = format
        self.parameters = parameters
        self.venues = venues
        self.events = events
        self.allocations = allocations
        self.staff = staff
    }
}

extension ReferenceData.RowGroup {
    /// The row labels of the group: `A-C` → A, B, C; `1-3` → 1, 2, 3; `AA` → AA.
    public func expandedLabels() throws -> [String] {
        let parts = labels.split(separator: "-").map(String.init)
        guard parts.count == 2 else {
            guard parts.count == 1, !parts[0].isEmpty else {
                throw ReferenceDataError(message: "bad row label '\(labels)'")
            }
            return parts
        }
        if let low = Int(parts[0]), let high = Int(parts[1]), low <= high, high - low < 200 {
            return (low...high).map(String.init)
        }
        guard parts[0].count == 1, parts[1].count == 1, let low = parts[0].unicodeScalars.first?.value,
            let high = parts[1].unicodeScalars.first?.value, low <= high, high - low < 26
        else {
            throw ReferenceDataError(message: "bad row range '\(labels)': use A-T or 1-20")
        }
        return (low...high).compactMap { Unicode.Scalar($0).map { String(Character($0)) } }
    }
}

/// A reference data file that cannot be understood.
public struct ReferenceDataError: Error, Equatable, Sendable, CustomStringConvertible {
    public let message: String
    public var description: String { message }
}

extension ReferenceData.Parameters {
    /// The longest a hold may keep inventory: a day.
    public static let maxHoldSeconds: Int64 = 86_400

    /// What breaks the rules every node applies to these parameters, or nil: central refuses such
    /// a file when it is imported rather than every node parking it.
    public var problem: String? {
        if let currency, !Money.isCurrencyCode(currency) { return "bad currency '\(currency.prefix(10))'" }
        if let text = holdTTL, !Self.seconds(text, within: 1...Self.maxHoldSeconds) {
            return "bad hold_ttl '\(text.prefix(20))'"
        }
        if let text = sessionTTL, !Self.seconds(text, within: 60...7 * 86_400) {
            return "bad session_ttl '\(text.prefix(20))'"
        }
        if let maximum = maxTicketsPerOrder, !(1...100).contains(maximum) {
            return "max_tickets_per_order must be 1 to 100"
        }
        if let maximum = maxCashChangeMinor, maximum < 0 { return "max_cash_change_minor must not be negative" }
        if let mailFrom {
            let trimmed = mailFrom.trimmingSpaces
            if trimmed.isEmpty { return "mail_from must not be empty" }
            if SyncLimits.length(trimmed) > 200 { return "mail_from is too long (at most 200 characters)" }
            if trimmed.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) {
                return "mail_from must not contain control characters or line breaks"
            }
        }
        return nil
    }

    private static func seconds(_ text: String, within range: ClosedRange<Int64>) -> Bool {
        DurationText.seconds(text).map(range.contains) ?? false
    }
}
