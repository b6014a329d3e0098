/// The reference data file (`Fixtures/reference/*.json`): venues with their seat maps, events with
/// price categories, allocations per node, staff accounts and node parameters.
///
/// Keys are snake_case. Seat rows are declared compactly (`{"labels": "A-T", "seats": 40}`) and
/// expand to seats labelled `SECTION-ROW-NUMBER` (`STALLS-A-12`).
public struct ReferenceData: Decodable, Sendable {
    /// Must be `venue-reference/1`.
    public let format: String
    public let parameters: Parameters?
    public let venues: [Venue]
    public let events: [Event]
    public let allocations: [Allocation]
    public let staff: [Staff]

    public struct Parameters: Decodable, Sendable {
        public let currency: String?
        /// A duration such as `10m`.
        public let holdTTL: String?
        public let sessionTTL: String?
        public let maxTicketsPerOrder: Int?
        public let maxCashChangeMinor: Int64?
        /// The From header of customer emails (`Box Office <boxoffice@venue.example>`).
        public let mailFrom: String?
    }

    public struct Venue: Decodable, Sendable {
        public let id: String
        public let name: String
        public let timezone: String
        public let sections: [Section]
    }

    public struct Section: Decodable, Sendable {
        public let code: String
        public let rows: [RowGroup]
    }

    /// One row (`"A"`) or a range of rows (`"A-T"`, `"1-12"`), each with `seats` seats numbered from 1.
    public struct RowGroup: Decodable, Sendable {
        public let labels: String
        public let seats: Int
    }

    public struct Event: Decodable, Sendable {
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
    }

    public struct Category: Decodable, Sendable {
        public let code: String
        public let name: String
        /// `ga` or `seated`.
        public let kind: String
        public let priceMinor: Int64
        /// GA only: how many tickets the category has.
        public let capacity: Int?
        /// Seated only: the sections whose seats belong to the category.
        public let sections: [String]?
    }

    /// What one node may sell of one category: a GA quota, or seats by selector
    /// (`*` for all, a section `STALLS`, a row `STALLS-A`, or a seat `STALLS-A-12`).
    public struct Allocation: Decodable, Sendable {
        public let node: String
        public let event: String
        public let category: String
        public let quota: Int?
        public let seats: [String]?
    }

    public struct Staff: Decodable, Sendable {
        public let name: String
        public let role: String
    }
}

extension ReferenceData.RowGroup {
    /// The row labels of the group: `A-C` → A, B, C; `1-3` → 1, 2, 3; `AA` → AA.
    func expandedLabels() throws -> [String] {
        let parts = labels.split(separator: "-").map(String.init)
        guard parts.count == 2 else {
            guard parts.count == 1, !parts[0].isEmpty else { throw TicketingError.invalidInput("bad row label '\(labels)'") }
            return parts
        }
        if let low = Int(parts[0]), let high = Int(parts[1]), low <= high, high - low < 200 {
            return (low...high).map(String.init)
        }
        guard parts[0].count == 1, parts[1].count == 1, let low = parts[0].unicodeScalars.first?.value,
              let high = parts[1].unicodeScalars.first?.value, low <= high, high - low < 26 else {
            throw TicketingError.invalidInput("bad row range '\(labels)': use A-T or 1-20")
        }
        return (low...high).compactMap { Unicode.Scalar($0).map { String(Character($0)) } }
    }
}
