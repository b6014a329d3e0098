import EdgeStore
import SyncWire

/// What a sale or hold asks for: a number of tickets (GA, or best available adjacent seats) or
/// named seats.
public enum SeatSelection: Sendable, Equatable, Codable {
    case quantity(Int)
    case seats([String])

    private enum CodingKeys: String, CodingKey { case quantity, seats }

    /// One of `quantity` and `seats`.
    public init(from decoder: any Decoder) throws {
        let fields = try decoder.container(keyedBy: CodingKeys.self)
        let (quantity, seats) = (
            try fields.decodeIfPresent(Int.self, forKey: .quantity),
            try fields.decodeIfPresent([String].self, forKey: .seats)
        )
        switch (quantity, seats) {
        case (let count?, nil): self = .quantity(count)
        case (nil, let labels?): self = .seats(labels)
        default:
            throw DecodingError.dataCorrupted(
                .init(codingPath: decoder.codingPath, debugDescription: "quantity or seats"))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var fields = encoder.container(keyedBy: CodingKeys.self)
        switch self {
        case .quantity(let count):
            try fields.encodeIfPresent(count, forKey: .quantity)
            try fields.encodeIfPresent(nil as [String]?, forKey: .seats)
        case .seats(let labels):
            try fields.encodeIfPresent(nil as Int?, forKey: .quantity)
            try fields.encodeIfPresent(labels, forKey: .seats)
        }
    }

    /// How many tickets.
    var count: Int {
        switch self {
        case .quantity(let count): count
        case .seats(let labels): labels.count
        }
    }
}

/// A row whose counters a compare-and-set moves: tickets sold and held, and its version.
protocol InventoryCounters {
    var sold: Int { get set }
    var held: Int { get set }
    var version: Int64 { get set }
}

extension InventoryCounters {
    /// The row as a compare-and-set that moved its counters by these deltas leaves it.
    func moved(sold soldDelta: Int, held heldDelta: Int) -> Self {
        var next = self
        next.sold += soldDelta
        next.held += heldDelta
        next.version += 1
        return next
    }
}

/// An event row with its node-level counters, and its venue's time zone.
struct EventState: InventoryCounters {
    let id: String
    let name: String
    let venueID: String
    let startsAt: Timestamp
    let status: EventStatus
    let capacity: Int?
    var sold: Int
    var held: Int
    var version: Int64
    /// The venue's IANA time zone, in which receipts show the start.
    let timezone: String

    /// Tickets the event can still take, or nil when only the categories limit it.
    var remaining: Int? { capacity.map { $0 - sold - held } }

    /// The columns ``init(_:from:)`` reads, in its order, from ``tables``.
    static let columns =
        "e.id, e.name, e.venue_id, e.starts_at, e.status, e.capacity, e.sold, e.held, e.version, v.timezone"
    /// How many ``columns`` there are.
    static let columnCount = columns.split(separator: ",").count
    /// The event `e` joined to its venue `v`.
    static let tables = "event e JOIN venue v ON v.id = e.venue_id"

    /// From a row with ``columns`` in that order from column `first`, read by position: every
    /// sale reads one.
    init(_ row: Row, from first: Int = 0) throws {
        id = try row.get(first)
        name = try row.get(first + 1)
        venueID = try row.get(first + 2)
        startsAt = try row.get(first + 3)
        status = try row.get(first + 4)
        capacity = try row.get(first + 5)
        sold = try row.get(first + 6)
        held = try row.get(first + 7)
        version = try row.get(first + 8)
        timezone = try row.get(first + 9)
    }
}

/// A price category.
struct CategoryState {
    let code: String
    let name: String
    let kind: CategoryKind
    let priceMinor: Int64
    let currency: String
    let capacity: Int

    /// The columns ``init(_:from:)`` reads, in its order, of `price_category c`.
    static let columns = "c.code, c.name, c.kind, c.price_minor, c.currency, c.capacity"
    /// How many ``columns`` there are.
    static let columnCount = columns.split(separator: ",").count

    /// From a row with ``columns`` in that order from column `first`, read by position.
    init(_ row: Row, from first: Int = 0) throws {
        code = try row.get(first)
        name = try row.get(first + 1)
        kind = try row.get(first + 2)
        priceMinor = try row.get(first + 3)
        currency = try row.get(first + 4)
        capacity = try row.get(first + 5)
    }
}

/// This node's allocation of a category.
struct AllocationState: InventoryCounters {
    let quota: Int
    var sold: Int
    var held: Int
    var version: Int64

    var remaining: Int { quota - sold - held }

    /// The columns ``init(_:from:)`` reads, in its order, of `allocation a`.
    static let columns = "a.quota, a.sold, a.held, a.version"
    /// The allocation of a category, read by position.
    static let query = "SELECT \(columns) FROM allocation a WHERE event_id = ? AND category_code = ?"

    /// From a row with ``columns`` in that order from column `first`.
    init(_ row: Row, from first: Int = 0) throws {
        quota = try row.get(first)
        sold = try row.get(first + 1)
        held = try row.get(first + 2)
        version = try row.get(first + 3)
    }
}

/// One seat of an event as a sale sees it: its label and inventory state. A sale takes it only
/// if it is still available then, whatever happened to it in between (its compare-and-set is on
/// the status; the allocation's version catches every other move in the category).
struct SeatState {
    let label: String
    let status: SeatStatus

    /// The columns ``init(_:)`` reads, in its order, of `event_seat`.
    static let columns = "seat_label, status"

    init(label: String, status: SeatStatus) {
        self.label = label
        self.status = status
    }

    /// From a row of ``columns``, read by position.
    init(_ row: Row) throws {
        label = try row.get(0)
        status = try row.get(1)
    }
}

/// What one read of the inventory saw: enough to decide a sale and to compare-and-set it.
struct InventorySnapshot {
    let event: EventState
    let category: CategoryState
    let allocation: AllocationState?
    /// Seated categories: the seats the selection names, or the best available run for a quantity.
    let seats: [SeatState]
}

/// Inventory taken by a successful compare-and-set.
struct Reservation {
    let event: EventState
    let category: CategoryState
    let quantity: Int
    /// Seat labels, in the order chosen; empty for GA.
    let seats: [String]
}
