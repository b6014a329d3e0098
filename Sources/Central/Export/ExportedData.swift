import SyncWire

/// A central's catalog, allocations and sales in one file (`venue-export/1`): what `central export`
/// writes and `central import` reads into an empty central, to rehearse a migration on realistic
/// data. Each row type reads a row of its table (``Row/decode(_:)``) and is written as JSON.
public struct ExportedData: Codable, Sendable {
    public static let format = "venue-export/1"

    public var format = Self.format
    public var exportedAt: Timestamp
    /// True when people's data was replaced by pseudonyms (``Pseudonyms``).
    public var anonymized: Bool
    /// Venues (with seat maps) and events (with categories and status).
    public var catalog: ReferenceData
    public var allocations: [Allocation]
    public var allocationSeats: [AllocationSeat]
    public var nodes: [Node]
    public var customers: [Customer]
    public var orders: [Order]
    public var tickets: [Ticket]
    public var payments: [Payment]
    public var refunds: [Refund]
    public var refundTickets: [RefundTicket]

    /// A node's allocation in force (proposals are not exported: nodes never answered them here).
    public struct Allocation: Codable, Sendable {
        public var eventID: String
        public var categoryCode: String
        public var nodeID: String
        public var quota: Int
        public var version: Int
    }

    public struct AllocationSeat: Codable, Sendable {
        public var eventID: String
        public var seatLabel: String
        public var categoryCode: String
        public var nodeID: String
    }

    public struct Node: Codable, Sendable {
        public var id: String
        public var createdAt: Timestamp
    }

    public struct Customer: Codable, Sendable {
        public var id: String
        public var nodeID: String
        public var email: String
        public var name: String?
        public var phone: String?
    }

    public struct Order: Codable, Sendable {
        public var id: String
        public var nodeID: String
        public var eventID: String
        public var categoryCode: String
        public var customerID: String?
        public var status: OrderStatus
        public var totalMinor: Int64
        public var currency: String
        public var idempotencyKey: String
        public var holdID: String?
        public var createdAt: Timestamp
        public var createdBy: String
        public var receivedAt: Timestamp
    }

    public struct Ticket: Codable, Sendable {
        public var code: String
        public var orderID: String
        public var nodeID: String
        public var eventID: String
        public var categoryCode: String
        public var seatLabel: String?
        public var priceMinor: Int64
        public var status: TicketStatus
        public var checkedInAt: Timestamp?
        public var createdAt: Timestamp
    }

    public struct Payment: Codable, Sendable {
        public var id: String
        public var orderID: String
        public var nodeID: String
        public var method: PaymentMethod
        public var amountMinor: Int64
        public var currency: String
        public var tenderedMinor: Int64?
        public var changeMinor: Int64?
        public var reference: String?
        public var status: PaymentStatus
        public var refundedMinor: Int64
        public var createdAt: Timestamp
    }

    public struct Refund: Codable, Sendable {
        public var id: String
        public var orderID: String
        public var paymentID: String
        public var nodeID: String
        public var amountMinor: Int64
        public var currency: String
        public var reason: String
        public var origin: RefundOrigin
        public var status: RefundStatus
        public var createdAt: Timestamp
        public var completedAt: Timestamp?
        public var receivedAt: Timestamp?
    }

    public struct RefundTicket: Codable, Sendable {
        public var refundID: String
        public var ticketCode: String
    }
}
