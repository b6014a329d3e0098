import Central
import MySQLClient
import SyncWire

/// What a run looks at.
public struct ReconciliationScope: Sendable, Equatable {
    /// Only this event (nil: every event, and the checks that concern no event).
    public var eventID: String?
    /// Only sales (and refunds) since then.
    public var since: Timestamp?
    /// A queued refund is overdue after this many seconds.
    public var refundDelaySeconds: Int64 = 48 * 3600
    /// A node is silent after this many seconds without contact.
    public var silenceSeconds: Int64 = 3600
    /// A parked record is stale after this many seconds.
    public var parkedAgeSeconds: Int64 = 24 * 3600
    /// A node's clock is skewed when it is off central's by more than this many seconds.
    public var clockSkewSeconds: Int64 = 300

    public init(eventID: String? = nil, since: Timestamp? = nil) {
        self.eventID = eventID
        self.since = since
    }
}

/// The checks, each one set-based SQL over central's tables (indexed by event, seat, order,
/// reference and status), so that a run stays fast at millions of rows: grouped counts first,
/// then window functions (MariaDB 10.2+, MySQL 8) only over the groups that disagree. A run over
/// all of central reads payments against orders itself (``PaymentsAgainstOrders``) and confirms
/// what it finds with the checks' own queries.
struct Checks {
    let connection: MySQLConnection
    let scope: ReconciliationScope
    let now: Timestamp
    /// True when a count of every event's places is kept for the runs from the watermark
    /// (``PlaceCounts``): a run that settles, not a dry run or one on a read-only central.
    var keepsCounts = false
    /// Up to this many orders or payments since a run's time, the references used twice are
    /// looked up from those payments (``fewSince()``).
    var recentLimit = 50_000

    private var event: [any SQLValueConvertible] { [scope.eventID, scope.eventID] }
    private var since: [any SQLValueConvertible] { [scope.since?.sqlText, scope.since?.sqlText] }

    /// The scope as conditions on `alias`'s event and receipt time (the time unless `since` is
    /// false), each present only when set: `(? IS NULL OR …)` would keep the indexes on
    /// `event_id` and `received_at` from serving.
    func scoped(_ alias: String, since withTime: Bool = true) -> (sql: String, arguments: [any SQLValueConvertible]) {
        var sql = ""
        var arguments = [any SQLValueConvertible]()
        if let eventID = scope.eventID {
            sql += " AND \(alias).event_id = ?"
            arguments.append(eventID)
        }
        if withTime, let since = scope.since {
            sql += " AND \(alias).received_at >= ?"
            arguments.append(since.sqlText)
        }
        return (sql, arguments)
    }

    /// The payment-mismatch query for this scope (orders first, by event or receipt time when
    /// scoped), over `orders` only when given.
    func paymentMismatchQuery(among orders: ArraySlice<String>? = nil) -> (
        sql: String, arguments: [any SQLValueConvertible]
    ) {
        let filter = scoped("o")
        return (
            """
            SELECT o.id, o.event_id, o.node_id, o.total_minor, o.currency, o.received_at,
                   COALESCE(SUM(p.amount_minor), 0) AS amount, COUNT(p.id) AS payments
            FROM orders o LEFT JOIN payment p ON p.order_id = o.id
            WHERE o.status IN ('confirmed', 'partially_refunded')\(filter.sql)\(Self.among("o.id", orders))
            GROUP BY o.id HAVING amount <> o.total_minor
            """, filter.arguments + (orders.map(Array.init) ?? [])
        )
    }

    /// ` AND column IN (?, …)` for `keys`, or nothing when nil.
    static func among(_ column: String, _ keys: ArraySlice<String>?) -> String {
        guard let keys else { return "" }
        return " AND \(column) IN (\(Array(repeating: "?", count: keys.count).joined(separator: ", ")))"
    }

    /// `query` over `keys` 500 at a time (the placeholders of a statement are bounded), its rows
    /// together.
    func rows(among keys: [String], _ query: (ArraySlice<String>) throws -> [Row]) rethrows -> [Row] {
        try stride(from: 0, to: keys.count, by: 500).flatMap { try query(keys[$0..<min(keys.count, $0 + 500)]) }
    }

    /// Payments against orders merged from one read of each (``PaymentsAgainstOrders``), for a
    /// run over all of central; nil for a scoped run (read through the indexes) or when the merge
    /// cannot rely on the order of the keys (the checks then join in SQL).
    func paymentsAgainstOrders() throws -> PaymentsAgainstOrders? {
        guard scope.eventID == nil, scope.since == nil else { return nil }
        return try PaymentsAgainstOrders.find(in: connection)
    }

    /// Every check, in the order they run, with its name for progress reports.
    var all: [(DiscrepancyClass, () throws -> [Finding])] {
        var categoryFlags = Set<String>()
        var counted: OccupiedPlaces?
        let counts = PlaceCounts(connection: connection)
        let keptBound = once { try counts.bound() }
        // The payment mismatches and the payments without an order share one merge.
        let candidates = once { try paymentsAgainstOrders() }
        // The seats sold twice and the count of places share the seats with more than one ticket.
        let seatsTwice = once { try seatsWithMoreThanOneTicket() }
        let places = {
            if let counted { return counted }
            counted = try occupiedPlaces(try seatsTwice())
            if keepsCounts, scope.eventID == nil { try counts.keep(counted!, countedAt: now) }
            return counted!
        }
        // The three capacity checks share one count. A run from the watermark tries each over
        // the kept count's bound first: nothing found there, nothing to find; else it counts.
        let overPlaces = { (check: (OccupiedPlaces) throws -> [Finding]) throws -> [Finding] in
            if scope.since != nil, counted == nil, let bound = try keptBound(), try check(bound).isEmpty { return [] }
            return try check(try places())
        }
        var checks: [(DiscrepancyClass, () throws -> [Finding])] = [
            (.seatDoubleSold, { try seatsSoldTwice(try seatsTwice()) }),
            (
                .categoryOversold,
                {
                    let found = try overPlaces(categoriesOversold)
                    categoryFlags = Set(found.map(\.entityID))
                    return found
                }
            ),
            (.eventOversold, { try overPlaces { try eventsOversold($0, excluding: categoryFlags) } }),
            (.nodeOverAllocation, { try overPlaces(nodesOverAllocation) }),
            (.paymentMismatch, { try paymentMismatches(among: try candidates()?.orders) }),
            (.paymentUnexpected, { try unexpectedPayments(among: try candidates()?.payments) }),
            (.duplicatePaymentReference, duplicatePaymentReferences),
            (.duplicateIdempotencyKey, duplicateIdempotencyKeys),
            (.refundOverdue, overdueRefunds),
            (.ticketAdmittedTwice, ticketsAdmittedTwice),
            (.admittedUnknownTicket, admissionsOfUnknownTickets),
            (.admittedAndRefunded, admittedAndRefunded),
        ]
        if scope.eventID == nil {
            checks += [
                (.nodeSilent, silentNodes), (.nodeSequenceMismatch, sequenceMismatches),
                (.nodeSequenceGap, sequenceGaps),
                (.parkedRecordStale, staleParkedRecords), (.nodeClockSkew, skewedClocks),
            ]
        }
        return checks
    }

    /// `make`'s value, made on the first call only (checks that share a read).
    private func once<T>(_ make: @escaping () throws -> T) -> () throws -> T {
        var made: T?
        return {
            if let made { return made }
            let value = try make()
            made = value
            return value
        }
    }

    // MARK: Inventory

    /// Who keeps a seat: the node that owns it under the allocation in force, then the sale
    /// central received first (its clock, never a node's), then the lower node id and ticket code.
    static let seatKeeperOrder = "ORDER BY (owner.node_id IS NULL), o.received_at, t.node_id, t.code"

    /// The allocation in force that gives a ticket's seat to the node that sold it.
    static let seatOwner = """
        LEFT JOIN allocation_seat owner ON owner.event_id = t.event_id AND owner.seat_label = t.seat_label
          AND owner.node_id = t.node_id AND owner.state IN ('\(SeatAllocationState.allocated)', '\(SeatAllocationState.removing)')
        """

    /// The seats of the scope's events with more than one live ticket, by event (almost always
    /// none): one index-only pass over `ticket_places` in its order, over one event too, which
    /// reads no ticket row and groups nothing in a temporary table (BENCHMARKS.md, "Reconcile").
    func seatsWithMoreThanOneTicket() throws -> [String: [String]] {
        var seats = [String: [String]]()
        for row in try connection.rows(
            """
            SELECT event_id, seat_label FROM ticket FORCE INDEX (ticket_places)
            WHERE seat_label IS NOT NULL AND status IN \(TicketStatus.liveList)\(scope.eventID == nil ? "" : " AND event_id = ?")
            GROUP BY seat_label, event_id HAVING COUNT(*) > 1
            """, scope.eventID.map { [$0] } ?? [])
        {
            seats[try row.get(0), default: []].append(try row.get(1))
        }
        return seats
    }

    /// `query` over each event's `seats` (as ``rows(among:_:)``), its rows together: `query`
    /// gets the SQL condition on ticket `t`'s event and seat and its arguments.
    private func rows(
        ofSeats seats: [String: [String]],
        _ query: (_ condition: String, _ arguments: [any SQLValueConvertible]) throws -> [Row]
    ) rethrows -> [Row] {
        try seats.sorted { $0.key < $1.key }.flatMap { event, labels in
            try rows(among: labels) { chunk in
                try query("t.event_id = ?\(Self.among("t.seat_label", chunk))", [event] + Array(chunk))
            }
        }
    }

    /// The later sales of each seat sold more than once (`seats`).
    func seatsSoldTwice(_ seats: [String: [String]]) throws -> [Finding] {
        try rows(ofSeats: seats) { condition, arguments in
            try connection.rows(
                """
                SELECT event_id, seat_label, code, order_id, node_id, received_at, keeper_code, keeper_node FROM (
                    SELECT t.event_id, t.seat_label, t.code, t.order_id, t.node_id, o.received_at,
                           ROW_NUMBER() OVER (PARTITION BY t.event_id, t.seat_label \(Self.seatKeeperOrder)) AS position,
                           FIRST_VALUE(t.code) OVER (PARTITION BY t.event_id, t.seat_label \(Self.seatKeeperOrder)) AS keeper_code,
                           FIRST_VALUE(t.node_id) OVER (PARTITION BY t.event_id, t.seat_label \(Self.seatKeeperOrder)) AS keeper_node
                    FROM ticket t
                    JOIN orders o ON o.id = t.order_id
                    \(Self.seatOwner)
                    WHERE t.status IN \(TicketStatus.liveList) AND \(condition)
                ) ranked
                WHERE position > 1 AND (? IS NULL OR received_at >= ?)
                ORDER BY event_id, seat_label, position
                """, arguments + since)
        }.map { row in
            let sale = try row.decode(SecondSale.self)
            let (code, node, order) = (sale.code, sale.nodeID, sale.orderID)
            return Finding(
                key: "seat_double_sold/\(sale.eventID)/\(sale.seatLabel)/\(code)", kind: .seatDoubleSold,
                eventID: sale.eventID,
                nodeID: node, entityID: code, occurredAt: sale.receivedAt,
                detail:
                    "seat \(sale.seatLabel) kept by \(sale.keeperNode) (ticket \(sale.keeperCode)); \(node)'s ticket \(code) "
                    + "of order \(order) is refunded",
                refund: RefundTarget(nodeID: node, orderID: order, ticketCodes: [code]))
        }
    }

    /// Tickets that occupy a place (every GA ticket, and the kept sale of each seat), each marked
    /// `beyond` when its node sold it outside its allocation in force: a GA ticket past the node's
    /// quota in central's receipt order, a seat the node does not own.
    private static let occupyingTickets = """
        SELECT t.code, t.order_id, t.node_id, t.event_id, t.category_code, o.received_at,
               ROW_NUMBER() OVER (PARTITION BY t.event_id, COALESCE(t.seat_label, t.code) \(seatKeeperOrder)) AS sale,
               CASE WHEN t.seat_label IS NULL
                    THEN ROW_NUMBER() OVER (PARTITION BY t.event_id, t.category_code, t.node_id ORDER BY o.received_at, t.code) > COALESCE(a.quota, 0)
                    ELSE owner.node_id IS NULL END AS beyond
        FROM ticket t JOIN orders o ON o.id = t.order_id
        LEFT JOIN allocation a ON a.event_id = t.event_id AND a.category_code = t.category_code AND a.node_id = t.node_id
        \(seatOwner)
        WHERE t.status IN \(TicketStatus.liveList)
        """

    /// Places occupied per category and per node within it: every GA ticket (counted, not told
    /// apart by code) and each seat once, in a category and in a node's share of it (a seat two
    /// nodes sold is one place of the category and one of each node). Live tickets are counted
    /// per event, category and node from `ticket_places` without reading a ticket, GA then
    /// seated (a category holds the sum of its nodes'); then each seat with more than one ticket
    /// (`seats`, almost always none) gives back all but one of them, in its category and in each
    /// node's share, without the sort of every ticket a `WITH ROLLUP` or a `COUNT(DISTINCT …)`
    /// makes MariaDB do (BENCHMARKS.md, "Reconcile"). The three capacity checks share one count.
    func occupiedPlaces(_ seats: [String: [String]]) throws -> OccupiedPlaces {
        var places = OccupiedPlaces()
        let live = "status IN \(TicketStatus.liveList)\(scope.eventID == nil ? "" : " AND event_id = ?")"
        for labelled in ["IS NULL", "IS NOT NULL"] {
            for row in try connection.rows(
                """
                SELECT event_id, category_code, node_id, COUNT(*) FROM ticket WHERE seat_label \(labelled) AND \(live)
                GROUP BY event_id, category_code, node_id
                """, scope.eventID.map { [$0] } ?? [])
            {
                let (eventID, category, node, count): (String, String, String, Int) = (
                    try row.get(0), try row.get(1), try row.get(2), try row.get(3)
                )
                places.add(count, eventID: eventID, category: category, node: node)
                places.add(count, eventID: eventID, category: category, node: nil)
            }
        }
        var perNode = [OccupiedPlaces.Node: [String: Int]]()
        for row in try rows(
            ofSeats: seats,
            { condition, arguments in
                try connection.rows(
                    """
                    SELECT t.event_id, t.seat_label, t.category_code, t.node_id FROM ticket t
                    WHERE t.status IN \(TicketStatus.liveList) AND \(condition)
                    """, arguments)
            })
        {
            let node = OccupiedPlaces.Node(
                eventID: try row.get(0), categoryCode: try row.get(2), nodeID: try row.get(3))
            perNode[node, default: [:]][try row.get(1), default: 0] += 1
        }
        var perCategory = [OccupiedPlaces.Category: [String: Int]]()
        for (node, tickets) in perNode {
            for (seat, count) in tickets {
                places.add(1 - count, eventID: node.eventID, category: node.categoryCode, node: node.nodeID)
                perCategory[OccupiedPlaces.Category(eventID: node.eventID, code: node.categoryCode), default: [:]][
                    seat, default: 0] += count
            }
        }
        for (category, tickets) in perCategory {
            for count in tickets.values {
                places.add(1 - count, eventID: category.eventID, category: category.code, node: nil)
            }
        }
        return places
    }

    func categoriesOversold(_ places: OccupiedPlaces) throws -> [Finding] {
        let categories = try connection.rows(
            "SELECT event_id, code, capacity FROM price_category WHERE (? IS NULL OR event_id = ?) ORDER BY event_id, code",
            event)
        return try categories.flatMap { row -> [Finding] in
            let (eventID, category, capacity): (String, String, Int) = (try row.get(0), try row.get(1), try row.get(2))
            let occupied = places.byCategory[OccupiedPlaces.Category(eventID: eventID, code: category)] ?? 0
            guard occupied > capacity else { return [] }
            return try latest(occupied - capacity, eventID: eventID, category: category).map { ticket in
                Finding(
                    key: "category_oversold/\(eventID)/\(category)/\(ticket.code)", kind: .categoryOversold,
                    eventID: eventID,
                    nodeID: ticket.nodeID, entityID: ticket.code, occurredAt: ticket.receivedAt,
                    detail:
                        "\(category) holds \(occupied) for a capacity of \(capacity); ticket \(ticket.code) of order \(ticket.orderID) "
                        + "(\(ticket.nodeID)) is one of the \(occupied - capacity) latest beyond it",
                    refund: RefundTarget(nodeID: ticket.nodeID, orderID: ticket.orderID, ticketCodes: [ticket.code]))
            }
        }
    }

    /// Events holding more than their capacity, counting each category up to its own capacity
    /// (the places beyond it are the category's finding).
    func eventsOversold(_ places: OccupiedPlaces, excluding flagged: Set<String>) throws -> [Finding] {
        let categories = try connection.rows(
            """
            SELECT e.id, e.capacity, c.code, c.capacity FROM event e JOIN price_category c ON c.event_id = e.id
            WHERE e.capacity IS NOT NULL AND (? IS NULL OR e.id = ?) ORDER BY e.id
            """, event)
        var events = [(id: String, capacity: Int, places: Int)]()
        for row in categories {
            let (eventID, capacity, code, categoryCapacity): (String, Int, String, Int) = (
                try row.get(0), try row.get(1), try row.get(2), try row.get(3)
            )
            let occupied = min(
                places.byCategory[OccupiedPlaces.Category(eventID: eventID, code: code)] ?? 0, categoryCapacity)
            if events.last?.id == eventID {
                events[events.count - 1].places += occupied
            } else {
                events.append((eventID, capacity, occupied))
            }
        }
        return try events.filter { $0.places > $0.capacity }.flatMap { oversold -> [Finding] in
            let (eventID, capacity, places) = (oversold.id, oversold.capacity, oversold.places)
            let excess = places - capacity
            let candidates = try latest(excess + flagged.count, eventID: eventID, category: nil).filter {
                !flagged.contains($0.code)
            }
            return candidates.prefix(excess).map { ticket in
                Finding(
                    key: "event_oversold/\(eventID)/\(ticket.code)", kind: .eventOversold, eventID: eventID,
                    nodeID: ticket.nodeID,
                    entityID: ticket.code, occurredAt: ticket.receivedAt,
                    detail:
                        "event holds \(places) for a capacity of \(capacity); ticket \(ticket.code) of order \(ticket.orderID) "
                        + "(\(ticket.nodeID)) is one of the \(excess) latest beyond it",
                    refund: RefundTarget(nodeID: ticket.nodeID, orderID: ticket.orderID, ticketCodes: [ticket.code]))
            }
        }
    }

    /// The `count` place-occupying tickets of an event (and category) that go first: those sold
    /// beyond their node's allocation, then the latest central received.
    private func latest(_ count: Int, eventID: String, category: String?) throws -> [OccupyingTicket] {
        guard count > 0 else { return [] }
        return try connection.rows(
            """
            SELECT code, order_id, node_id, received_at FROM (\(Self.occupyingTickets) AND t.event_id = ? AND (? IS NULL OR t.category_code = ?)) occupying
            WHERE sale = 1 AND (? IS NULL OR received_at >= ?)
            ORDER BY beyond DESC, received_at DESC, node_id DESC, code DESC LIMIT ?
            """, [eventID, category, category] + since + [count]
        ).map { try $0.decode(OccupyingTicket.self) }
    }

    func nodesOverAllocation(_ places: OccupiedPlaces) throws -> [Finding] {
        var quotas = [OccupiedPlaces.Node: Int]()
        for row in try connection.rows(
            "SELECT event_id, category_code, node_id, quota FROM allocation WHERE (? IS NULL OR event_id = ?)", event)
        {
            quotas[OccupiedPlaces.Node(eventID: try row.get(0), categoryCode: try row.get(1), nodeID: try row.get(2))] =
                try row.get(3)
        }
        let over = places.byNode.filter { $0.value > quotas[$0.key] ?? 0 }.sorted {
            ($0.key.eventID, $0.key.categoryCode, $0.key.nodeID) < ($1.key.eventID, $1.key.categoryCode, $1.key.nodeID)
        }
        return try over.compactMap { sold -> Finding? in
            let (eventID, category, node) = (sold.key.eventID, sold.key.categoryCode, sold.key.nodeID)
            let lastSale: Timestamp? = try connection.scalar(
                """
                SELECT MAX(o.received_at) FROM ticket t JOIN orders o ON o.id = t.order_id
                WHERE t.event_id = ? AND t.category_code = ? AND t.node_id = ? AND t.status IN \(TicketStatus.liveList)
                """, [eventID, category, node])
            if let since = scope.since, (lastSale?.milliseconds ?? Int64.min) < since.milliseconds { return nil }
            return Finding(
                key: "node_over_allocation/\(eventID)/\(category)/\(node)", kind: .nodeOverAllocation, eventID: eventID,
                nodeID: node,
                entityID: "\(eventID)/\(category)", occurredAt: lastSale,
                detail: "\(node) sold \(sold.value) of \(category) with an allocation of \(quotas[sold.key] ?? 0)",
                refund: nil)
        }
    }

    // MARK: Money

    /// Orders whose payments do not add up to their total: in the scope, or among `orders`.
    func paymentMismatches(among orders: [String]? = nil) throws -> [Finding] {
        let mismatched = { (orders: ArraySlice<String>?) in
            let query = paymentMismatchQuery(among: orders)
            return try connection.rows(query.sql, query.arguments)
        }
        let rows = try orders.map { try self.rows(among: $0, mismatched) } ?? mismatched(nil)
        return try rows.map { row in
            let mismatch = try row.decode(PaymentMismatch.self)
            let (order, total, amount, payments) = (
                mismatch.id, mismatch.totalMinor, mismatch.amount, mismatch.payments
            )
            let kind = payments == 0 ? "unpaid" : amount < total ? "underpaid" : "overpaid"
            return Finding(
                key: "payment_mismatch/\(order)", kind: .paymentMismatch, eventID: mismatch.eventID,
                nodeID: mismatch.nodeID, entityID: order, occurredAt: mismatch.receivedAt,
                detail:
                    "order \(order) is \(kind): total \(total), captured \(amount) in \(payments) payment(s) (minor units)",
                refund: nil)
        }
    }

    /// Payments kept that should not be: for a refunded or cancelled order with no refund
    /// pending, for a live order of an event cancelled centrally, or for an order central does
    /// not have (in the scope, or among `orphans`). Each part is read from its own side, so that
    /// a scope (event, receipt time) reads through the indexes and not every payment.
    func unexpectedPayments(among orphans: [String]? = nil) throws -> [Finding] {
        let filter = scoped("o")
        // Refunded and cancelled orders (few: read by `orders_by_status`), then the live orders of
        // events cancelled centrally (by `orders_by_event`).
        var rows = try connection.rows(
            """
            SELECT p.id, p.order_id, p.node_id, p.amount_minor, o.received_at, o.event_id,
                   IF(o.status = 'refunded', 'kept_after_refund', 'kept_after_cancellation') AS reason
            FROM orders o JOIN payment p ON p.order_id = o.id
            WHERE o.status IN ('refunded', 'cancelled') AND p.amount_minor > p.refunded_minor
              AND (o.status = 'refunded'
                   OR NOT EXISTS (SELECT 1 FROM refund r WHERE r.order_id = o.id AND r.status = 'pending'))\(filter.sql)
            UNION ALL
            SELECT p.id, p.order_id, p.node_id, p.amount_minor, o.received_at, o.event_id, 'event_cancelled' AS reason
            FROM event e JOIN orders o ON o.event_id = e.id JOIN payment p ON p.order_id = o.id
            WHERE e.status = 'cancelled' AND o.status IN ('confirmed', 'partially_refunded')\(filter.sql)
            """, filter.arguments + filter.arguments)
        if scope.eventID == nil {  // an order central does not have has no event to scope by
            // Without candidates every payment is read in the order it is stored, each order
            // looked up by its key: walking `payment_by_order` instead (which MariaDB chose once
            // that index held the amount) fetched each payment's row at random and took a third longer.
            let missing = { (payments: ArraySlice<String>?) in
                try connection.rows(
                    """
                    SELECT p.id, p.order_id, p.node_id, p.amount_minor, p.created_at AS received_at, NULL AS event_id,
                           'order_missing' AS reason
                    FROM payment p IGNORE INDEX (payment_by_order) LEFT JOIN orders o ON o.id = p.order_id
                    WHERE o.id IS NULL\(scope.since == nil ? "" : " AND p.created_at >= ?")\(Self.among("p.id", payments))
                    """, (scope.since.map { [$0.sqlText] } ?? []) + (payments.map(Array.init) ?? []))
            }
            rows += try orphans.map { try self.rows(among: $0, missing) } ?? missing(nil)
        }
        return try rows.map { row in
            let payment = try row.decode(UnexpectedPayment.self)
            return Finding(
                key: "payment_unexpected/\(payment.id)", kind: .paymentUnexpected, eventID: payment.eventID,
                nodeID: payment.nodeID, entityID: payment.id, occurredAt: payment.receivedAt,
                detail: "payment \(payment.id) of \(payment.amountMinor) for order \(payment.orderID): "
                    + payment.reason.replacingOccurrences(of: "_", with: " "),
                refund: nil)
        }
    }

    /// The references that may be used twice in the scope, from `payment_by_reference`: every
    /// reference used twice (almost always none), or, from a time on with `recent` true, the
    /// references of the payments received since (of the orders received since, or without an
    /// order and made since) that another payment has, each looked up in the index.
    func reusedReferencesQuery(recent: Bool) -> (sql: String, arguments: [any SQLValueConvertible]) {
        guard recent, let since = scope.since?.sqlText else {
            return (
                "SELECT reference FROM payment WHERE reference IS NOT NULL GROUP BY reference HAVING COUNT(*) > 1", []
            )
        }
        return (
            """
            SELECT DISTINCT recent.reference FROM (
                SELECT r.id, r.reference FROM orders ro JOIN payment r ON r.order_id = ro.id
                WHERE ro.received_at >= ? AND r.reference IS NOT NULL
                UNION SELECT r.id, r.reference FROM payment r WHERE r.created_at >= ? AND r.reference IS NOT NULL) recent
            WHERE EXISTS (SELECT 1 FROM payment other WHERE other.reference = recent.reference AND other.id <> recent.id)
            """, [since, since]
        )
    }

    /// True when a run from a time on looks reused references and keys up from the payments and
    /// orders since: unless ``recentLimit`` orders came in since, or as many payments were made,
    /// when reading the indexes whole is the cheaper (with 1,000,000 payments, 0.4 s against
    /// 9.5 s from 568,000).
    func fewSince() throws -> Bool {
        guard let since = scope.since?.sqlText else { return false }
        let seen: Int =
            try connection.scalar(
                """
                SELECT (SELECT COUNT(*) FROM (SELECT 1 FROM orders WHERE received_at >= ? LIMIT ?) o)
                     + (SELECT COUNT(*) FROM (SELECT 1 FROM payment WHERE created_at >= ? LIMIT ?) p)
                """, [since, recentLimit, since, recentLimit]) ?? 0
        return seen < recentLimit
    }

    /// References on more than one payment in the scope: those that may be
    /// (``reusedReferencesQuery(recent:)``), then only their payments, read with their orders,
    /// rather than a join of the payments since to every payment (BENCHMARKS.md, "Reconcile").
    func duplicatePaymentReferences() throws -> [Finding] {
        let query = reusedReferencesQuery(recent: try fewSince())
        let reused: [String] = try connection.rows(query.sql, query.arguments).map { try $0.get(0) }
        let rows = try rows(among: reused) { references in
            try connection.rows(
                """
                SELECT p.reference, COUNT(*) AS uses, MIN(o.event_id) AS event_id, MAX(COALESCE(o.received_at, p.created_at)) AS last_use,
                       GROUP_CONCAT(p.id ORDER BY p.id SEPARATOR ', ') AS payments
                FROM payment p LEFT JOIN orders o ON o.id = p.order_id
                WHERE (? IS NULL OR o.event_id = ?) AND (? IS NULL OR COALESCE(o.received_at, p.created_at) >= ?)\(Self.among("p.reference", references))
                GROUP BY p.reference HAVING COUNT(*) > 1
                """, event + since + Array(references))
        }
        return try rows.map { row in
            let duplicate = try row.decode(DuplicateReference.self)
            return Finding(
                key: "duplicate_payment_reference/\(duplicate.reference)", kind: .duplicatePaymentReference,
                eventID: duplicate.eventID, nodeID: nil, entityID: duplicate.reference, occurredAt: duplicate.lastUse,
                detail: "reference \(duplicate.reference) on \(duplicate.uses) payments: \(duplicate.payments)",
                refund: nil)
        }
    }

    /// Keys used more than once in the scope: first the keys alone (unscoped, or from a time
    /// before many orders, from `orders_by_key` without reading an order, as ``fewSince()``
    /// tells; else from the orders of the event or received since), almost always none, then the
    /// orders of those keys in the scope, so that no run groups the orders since in a temporary
    /// table (BENCHMARKS.md, "Reconcile").
    func duplicateIdempotencyKeys() throws -> [Finding] {
        let filter = scoped("o")
        let candidates = try scoped("o", since: scope.since == nil || fewSince())
        let reused: [String] = try connection.rows(
            """
            SELECT o.idempotency_key FROM orders o WHERE 1 = 1\(candidates.sql)
            GROUP BY o.idempotency_key HAVING COUNT(*) > 1
            """, candidates.arguments
        ).map { try $0.get(0) }
        let rows = try rows(among: reused) { keys in
            try connection.rows(
                """
                SELECT o.idempotency_key, COUNT(*) AS uses, MIN(o.event_id) AS event_id, MAX(o.received_at) AS last_use,
                       GROUP_CONCAT(o.id ORDER BY o.id SEPARATOR ', ') AS orders
                FROM orders o WHERE 1 = 1\(filter.sql)\(Self.among("o.idempotency_key", keys))
                GROUP BY o.idempotency_key HAVING COUNT(*) > 1
                """, filter.arguments + Array(keys))
        }
        return try rows.map { row in
            let duplicate = try row.decode(DuplicateKey.self)
            return Finding(
                key: "duplicate_idempotency_key/\(duplicate.idempotencyKey)", kind: .duplicateIdempotencyKey,
                eventID: duplicate.eventID, nodeID: nil, entityID: duplicate.idempotencyKey,
                occurredAt: duplicate.lastUse,
                detail: "idempotency key \(duplicate.idempotencyKey) on \(duplicate.uses) orders: \(duplicate.orders)",
                refund: nil)
        }
    }

    func overdueRefunds() throws -> [Finding] {
        let deadline = Timestamp(milliseconds: now.milliseconds - scope.refundDelaySeconds * 1000)
        return try connection.rows(
            """
            SELECT r.id, r.order_id, r.node_id, r.amount_minor, r.origin, COALESCE(r.received_at, r.created_at) AS queued_at, o.event_id
            FROM refund r LEFT JOIN orders o ON o.id = r.order_id
            WHERE r.status = 'pending' AND COALESCE(r.received_at, r.created_at) < ? AND (? IS NULL OR o.event_id = ?)
              AND (? IS NULL OR COALESCE(r.received_at, r.created_at) >= ?)
            """, [deadline.sqlText] + event + since
        ).map { row in
            let refund = try row.decode(OverdueRefund.self)
            return Finding(
                key: "refund_overdue/\(refund.id)", kind: .refundOverdue, eventID: refund.eventID,
                nodeID: refund.nodeID,
                entityID: refund.id, occurredAt: refund.queuedAt,
                detail:
                    "refund \(refund.id) of \(refund.amountMinor) for order \(refund.orderID) (\(refund.origin)) queued since "
                    + "\(refund.queuedAt.sqlText), not paid out",
                refund: nil)
        }
    }
}

// The rows the checks read, one per query.

/// A ticket that sold a seat another ticket kept.
private struct SecondSale: Decodable {
    let eventID: String
    let seatLabel: String
    let code: String
    let orderID: String
    let nodeID: String
    let receivedAt: Timestamp?
    let keeperCode: String
    let keeperNode: String
}

/// A ticket that occupies a place.
private struct OccupyingTicket: Decodable {
    let code: String
    let orderID: String
    let nodeID: String
    let receivedAt: Timestamp?
}

private struct PaymentMismatch: Decodable {
    let id: String
    let eventID: String?
    let nodeID: String?
    let totalMinor: Int64
    let amount: Int64
    let payments: Int
    let receivedAt: Timestamp?
}

private struct UnexpectedPayment: Decodable {
    let id: String
    let orderID: String
    let nodeID: String?
    let eventID: String?
    let amountMinor: Int64
    let receivedAt: Timestamp?
    let reason: String
}

private struct DuplicateReference: Decodable {
    let reference: String
    let uses: Int
    let eventID: String?
    let lastUse: Timestamp?
    let payments: String
}

private struct DuplicateKey: Decodable {
    let idempotencyKey: String
    let uses: Int
    let eventID: String?
    let lastUse: Timestamp?
    let orders: String
}

private struct OverdueRefund: Decodable {
    let id: String
    let orderID: String
    let nodeID: String?
    let eventID: String?
    let amountMinor: Int64
    let origin: String
    let queuedAt: Timestamp
}

/// Places occupied, counted once per run for the three capacity checks.
struct OccupiedPlaces {
    struct Category: Hashable {
        let eventID: String
        let code: String
    }

    struct Node: Hashable {
        let eventID: String
        let categoryCode: String
        let nodeID: String
    }

    /// Per category: GA tickets and distinct seats.
    var byCategory = [Category: Int]()
    /// Per category and node: GA tickets and distinct seats the node sold.
    var byNode = [Node: Int]()

    /// Adds `count` places to a node's count, or with `node` nil to the category's total.
    mutating func add(_ count: Int, eventID: String, category: String, node: String?) {
        if let node {
            byNode[Node(eventID: eventID, categoryCode: category, nodeID: node), default: 0] += count
        } else {
            byCategory[Category(eventID: eventID, code: category), default: 0] += count
        }
    }
}
