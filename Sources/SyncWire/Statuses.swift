import SQLValues

// The statuses node and central both store and exchange. Each is a closed set: an unknown value
// in a row or a payload is an error (the record or change is parked), never a default.

/// Where an event stands in its life.
public enum EventStatus: String, Codable, Sendable, CaseIterable, SQLTextEnum {
    case draft
    case onSale = "on_sale"
    case closed, cancelled
}

/// General admission (a count) or seated (named seats).
public enum CategoryKind: String, Codable, Sendable, CaseIterable, SQLTextEnum {
    case ga, seated
}

/// How a customer pays.
public enum PaymentMethod: String, Codable, Sendable, CaseIterable, SQLTextEnum {
    /// Notes and coins: the tendered amount may exceed the total; change is given.
    case cash
    /// A card terminal: its reference is recorded.
    case card
    /// Complimentary: free, supervisors only.
    case comp
}

/// A ticket's state.
public enum TicketStatus: String, Codable, Sendable, CaseIterable, SQLTextEnum {
    /// Sold and unused: it lets its holder in.
    case valid
    case checkedIn = "checked_in"
    /// Refunded and paid out.
    case refunded
    /// Taken back under a refund that is not paid out yet.
    case void

    /// True while the ticket holds its place (valid or already used at the door).
    public var isLive: Bool { self == .valid || self == .checkedIn }

    /// The live statuses as an SQL list, `('valid', 'checked_in')`, made from ``isLive``: the one
    /// place SQL, the node's and central's, learns which tickets hold a place.
    public static let liveList =
        "(" + allCases.filter(\.isLive).map { "'\($0.rawValue)'" }.joined(separator: ", ") + ")"
}

/// An order's state, derived from its tickets (``OrderStatusRule``).
public enum OrderStatus: String, Codable, Sendable, CaseIterable, SQLTextEnum {
    case confirmed
    case partiallyRefunded = "partially_refunded"
    case refunded, cancelled
}

/// A payment's state.
public enum PaymentStatus: String, Codable, Sendable, CaseIterable, SQLTextEnum {
    case captured
    case partiallyRefunded = "partially_refunded"
    case refunded
}

/// A refund's state: queued (its tickets are void), or paid out.
public enum RefundStatus: String, Codable, Sendable, CaseIterable, SQLTextEnum {
    case pending, completed
}

/// Where a refund came from.
public enum RefundOrigin: String, Codable, Sendable, CaseIterable, SQLTextEnum {
    /// A supervisor at the counter.
    case counter
    /// The event was cancelled.
    case eventCancelled = "event_cancelled"
    /// Head office ordered it (reconciliation).
    case central
}
