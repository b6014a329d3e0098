import SQLValues
import SyncWire

/// The kinds of disagreement the reconciliation job finds, each with its severity and whether
/// the job settles it by itself.
public enum DiscrepancyClass: String, Sendable, Codable, CaseIterable {
    /// A seat with live tickets from more than one sale. The earliest sale keeps it (ties: lower
    /// node id, then ticket code); every other ticket is refunded.
    case seatDoubleSold = "seat_double_sold"
    /// A category with more occupied places than its capacity; the latest sales beyond it are refunded.
    case categoryOversold = "category_oversold"
    /// An event with more occupied places than its capacity (after category overflow); the latest
    /// sales beyond it are refunded.
    case eventOversold = "event_oversold"
    /// A node sold more of a category than its accepted allocation.
    case nodeOverAllocation = "node_over_allocation"
    /// A confirmed order whose captured payments do not add up to its total (unpaid, underpaid, overpaid).
    case paymentMismatch = "payment_mismatch"
    /// A payment for an order central does not have, for a refunded or cancelled order that kept
    /// the money (no refund pending), or for an event cancelled centrally whose tickets are still live.
    case paymentUnexpected = "payment_unexpected"
    /// The same card terminal reference on more than one payment.
    case duplicatePaymentReference = "duplicate_payment_reference"
    /// The same idempotency key on more than one order.
    case duplicateIdempotencyKey = "duplicate_idempotency_key"
    /// A refund queued (event cancelled, or ordered by central) but not paid out after the delay.
    case refundOverdue = "refund_overdue"
    /// A node central has not heard from for longer than the threshold.
    case nodeSilent = "node_silent"
    /// A node whose acknowledged sequence differs from the records central counted.
    case nodeSequenceMismatch = "node_sequence_mismatch"
    /// Records missing at central below a node's acknowledged sequence.
    case nodeSequenceGap = "node_sequence_gap"
    /// A record parked for longer than the threshold.
    case parkedRecordStale = "parked_record_stale"
    /// A node whose clock is off central's by more than the threshold.
    case nodeClockSkew = "node_clock_skew"
    /// A ticket let in more than once (at two gates or nodes that could not see each other, or
    /// by an offline scanner and a door): one of the people got in on a copy.
    case ticketAdmittedTwice = "ticket_admitted_twice"
    /// An admission of a ticket no node reported selling: a code signed with a stolen key, or a
    /// sale whose node has not pushed it yet.
    case admittedUnknownTicket = "admitted_unknown_ticket"
    /// A ticket let in and refunded at the counter, each node not knowing of the other's fact in
    /// time: the holder is inside with the money back.
    case admittedAndRefunded = "admitted_and_refunded"

    /// How urgent it is.
    public var severity: Severity {
        switch self {
        case .seatDoubleSold, .categoryOversold, .eventOversold: .critical
        case .paymentMismatch, .paymentUnexpected, .duplicatePaymentReference, .duplicateIdempotencyKey, .refundOverdue,
            .nodeSequenceMismatch, .nodeSequenceGap, .parkedRecordStale, .ticketAdmittedTwice,
            .admittedUnknownTicket, .admittedAndRefunded:
            .high
        case .nodeOverAllocation, .nodeSilent, .nodeClockSkew: .warning
        }
    }

    /// True when the job settles it with a refund order to the node that sold the ticket.
    public var settlesWithRefund: Bool { severity == .critical }
}

/// Severity, most urgent first.
public enum Severity: String, Sendable, Codable, CaseIterable, Comparable {
    case critical, high, warning

    private var rank: Int { Self.allCases.firstIndex(of: self)! }
    public static func < (lhs: Severity, rhs: Severity) -> Bool { lhs.rank < rhs.rank }
}

/// One discrepancy as a check found it.
public struct Finding: Sendable, Codable, Equatable {
    /// Stable across runs: the same disagreement always has the same key.
    public let key: String
    public let kind: DiscrepancyClass
    public let eventID: String?
    public let nodeID: String?
    public let entityID: String
    /// When the sale (or refund, or last contact) behind it happened.
    public let occurredAt: Timestamp?
    public let detail: String
    /// For classes settled by refund: what to refund, and where.
    public let refund: RefundTarget?

    public var severity: Severity { kind.severity }
}

/// Tickets of one order at one node that must be refunded.
public struct RefundTarget: Sendable, Codable, Equatable {
    public let nodeID: String
    public let orderID: String
    public let ticketCodes: [String]
}

/// Where a recorded discrepancy stands: found and not settled, a settlement sent (a refund order
/// on its way to the node), or no longer found by a run in its scope.
public enum DiscrepancyStatus: String, Sendable, Codable, CaseIterable, SQLTextEnum {
    case open
    case settling
    case resolved
}
