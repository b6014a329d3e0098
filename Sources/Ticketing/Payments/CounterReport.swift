import EdgeStore
import FoundationEssentials
import SyncWire

/// A closing report of the counter, as pretixPOS prints one: sales and refunds by payment method,
/// comps, and each drawer's expected cash against what was counted. A shift covers one drawer; a
/// day covers every sale, refund and drawer of a local calendar day at this node.
public struct CounterReport: Sendable, Codable, Equatable {
    /// A cashier's shift (since their drawer opened) or a day at the node.
    public enum Kind: String, Sendable, Codable, CaseIterable {
        case shift
        case day
    }

    /// Orders, tickets and money of one payment method.
    public struct MethodTotal: Sendable, Codable, Equatable {
        public let method: PaymentMethod
        public let orders: Int
        public let tickets: Int
        public let amount: Money
    }

    /// `shift` or `day`.
    public let kind: Kind
    /// What it covers: a drawer's opening to its close (or now), or a local day.
    public let from: Timestamp
    public let until: Timestamp
    /// The zone its times are read in (the venue's).
    public let timezone: String
    /// Whose sales: one cashier for a shift, everyone for a day.
    public let cashier: String?
    public let sales: [MethodTotal]
    /// Refunds paid out in the period, by the method they went back through.
    public let refunds: [MethodTotal]
    public let drawers: [DrawerSummary]
    /// Tickets sold minus tickets refunded, and money taken minus money paid back.
    public let netTickets: Int
    public let net: Money
}

/// The counter's reports.
public struct CounterReports {
    let node: VenueNode
    var db: Database { node.database }

    /// `actor`'s shift: their open drawer, else their last closed one.
    public func shift(by actor: Operator) throws -> CounterReport {
        let drawer = try node.drawers.current(of: actor)
        let until = drawer.closedAt ?? node.clock.now()
        return try report(
            kind: .shift, from: drawer.openedAt, until: until, cashier: actor, drawers: [drawer])
    }

    /// A local day at this node (today when nil), every cashier (supervisors).
    public func day(_ date: String?, by actor: Operator) throws -> CounterReport {
        try actor.require(.supervisor, to: "the day's report")
        let local = LocalTime(zone: try timezone()) ?? LocalTime(zone: "UTC")!
        guard let (from, until) = local.day(date, now: node.clock.now()) else {
            throw TicketingError.invalidInput("a day is YYYY-MM-DD, not '\(date?.prefix(20) ?? "")'")
        }
        let drawers = try db.rows(
            "SELECT id FROM drawer WHERE opened_at <= ? AND (closed_at IS NULL OR closed_at >= ?) ORDER BY opened_at",
            [until.milliseconds, from.milliseconds]
        ).map { try node.drawers.summary(try $0.get(0)) }
        return try report(kind: .day, from: from, until: until, cashier: nil, drawers: drawers)
    }

    private func report(
        kind: CounterReport.Kind, from: Timestamp, until: Timestamp, cashier: Operator?, drawers: [DrawerSummary]
    )
        throws -> CounterReport
    {
        let currency = try node.settings().currency
        let range: [any SQLValueConvertible] = [from.milliseconds, until.milliseconds, cashier?.id, cashier?.id]
        let sales = try db.rows(
            """
            SELECT p.method, COUNT(DISTINCT o.id) AS orders, SUM(tickets.count) AS tickets, SUM(p.amount_minor) AS amount
            FROM orders o JOIN payment p ON p.order_id = o.id
            JOIN (SELECT order_id, COUNT(*) AS count FROM ticket GROUP BY order_id) tickets ON tickets.order_id = o.id
            WHERE o.created_at BETWEEN ? AND ? AND (? IS NULL OR o.created_by = ?)
            GROUP BY p.method ORDER BY p.method
            """, range
        ).map { try $0.decode(MethodRow.self) }
        let refunds = try db.rows(
            """
            SELECT p.method, COUNT(DISTINCT r.order_id) AS orders, SUM(tickets.count) AS tickets, SUM(r.amount_minor) AS amount
            FROM refund r JOIN payment p ON p.id = r.payment_id
            JOIN (SELECT refund_id, COUNT(*) AS count FROM refund_ticket GROUP BY refund_id) tickets ON tickets.refund_id = r.id
            WHERE r.status = 'completed' AND r.completed_at BETWEEN ? AND ? AND (? IS NULL OR r.completed_by = ?)
            GROUP BY p.method ORDER BY p.method
            """, [from.milliseconds, until.milliseconds, cashier?.name, cashier?.name]
        ).map { try $0.decode(MethodRow.self) }
        let total = { (rows: [MethodRow]) in
            rows.map {
                CounterReport.MethodTotal(
                    method: $0.method, orders: $0.orders, tickets: $0.tickets,
                    amount: Money(minor: $0.amount, currency: currency))
            }
        }
        return CounterReport(
            kind: kind, from: from, until: until, timezone: try timezone(), cashier: cashier?.name, sales: total(sales),
            refunds: total(refunds), drawers: drawers,
            netTickets: sales.reduce(0) { $0 + $1.tickets } - refunds.reduce(0) { $0 + $1.tickets },
            net: Money(
                minor: sales.reduce(0) { $0 + $1.amount } - refunds.reduce(0) { $0 + $1.amount }, currency: currency))
    }

    /// The zone people at this node read times in (``NodeTimeZone``).
    public func timezone() throws -> String { try NodeTimeZone.of(db) }
}

/// One payment method's totals as the report's queries return them.
private struct MethodRow: Decodable {
    let method: PaymentMethod
    let orders: Int
    let tickets: Int
    let amount: Int64
}

extension VenueNode {
    /// The counter's closing reports.
    public var reports: CounterReports { CounterReports(node: self) }
}
