import Foundation
import MySQLClient
import SyncWire

/// Writes a central's catalog, allocations and sales to an ``ExportedData`` document with people's
/// data pseudonymised, and reads such a document into an empty central: the same counts and
/// amounts per event, category and node, as realistic test data for a migration.
///
/// Not exported: proposals nodes have not answered, the change feed and sync inboxes (their
/// payloads carry the original personal data), reconciliation history.
public struct CentralExport {
    let connection: MySQLConnection

    public init(connection: MySQLConnection) { self.connection = connection }

    /// Everything, read in one consistent snapshot, with people's data replaced under `pseudonyms`.
    public func export(pseudonyms: Pseudonyms, now: Timestamp) throws -> ExportedData {
        try connection.transaction {
            var data = ExportedData(
                exportedAt: now, anonymized: true, catalog: try catalog(),
                allocations: try all("allocation", "version > 0"),
                allocationSeats: try all(
                    "allocation_seat",
                    "state IN ('\(SeatAllocationState.allocated)', '\(SeatAllocationState.removing)')"),
                nodes: try all("node"),
                customers: try all("customer"), orders: try all("orders"), tickets: try all("ticket", orderBy: "code"),
                payments: try all("payment"), refunds: try all("refund"),
                refundTickets: try all("refund_ticket", orderBy: "refund_id, ticket_code"))
            data.customers = data.customers.map { customer in
                var customer = customer
                customer.email = pseudonyms.email(customer.email)
                customer.name = customer.name.map(pseudonyms.name)
                customer.phone = customer.phone.map(pseudonyms.phone)
                return customer
            }
            data.orders = data.orders.map { order in
                var order = order
                order.createdBy = pseudonyms.staff(order.createdBy)
                order.idempotencyKey = pseudonyms.idempotencyKey(order.idempotencyKey)
                return order
            }
            data.payments = data.payments.map { payment in
                var payment = payment
                payment.reference = payment.reference.map(pseudonyms.cardReference)
                return payment
            }
            data.refunds = data.refunds.map { refund in
                var refund = refund
                refund.reason = pseudonyms.note(refund.reason)
                return refund
            }
            return data
        }
    }

    /// Loads `data` into this central, which must hold no sales yet, in one transaction: the
    /// catalog (publishing it to nodes as any import does), allocations in force, nodes and sales.
    public func load(_ data: ExportedData, now: Timestamp) throws -> LoadSummary {
        guard data.format == ExportedData.format else {
            throw CentralError.invalidInput(
                "unknown export format '\(data.format.prefix(40))'; expected \(ExportedData.format)")
        }
        return try connection.transaction {
            guard try connection.scalar("SELECT 1 FROM orders LIMIT 1", as: Int.self) == nil,
                try connection.scalar("SELECT 1 FROM node LIMIT 1", as: Int.self) == nil
            else {
                throw CentralError.rejected(
                    code: "not_empty",
                    message: "central already has nodes or sales; load an export into an empty central")
            }
            let catalog = try CentralCatalog(connection: connection).importInTransaction(data.catalog, now: now)
            for row in data.allocations {
                try connection.execute(
                    """
                    INSERT INTO allocation (event_id, category_code, node_id, quota, version, updated_at) VALUES (?, ?, ?, ?, ?, ?)
                    """, [row.eventID, row.categoryCode, row.nodeID, row.quota, row.version, now.sqlText])
            }
            for row in data.allocationSeats {
                try connection.execute(
                    "INSERT INTO allocation_seat (event_id, seat_label, category_code, node_id, state) VALUES (?, ?, ?, ?, '\(SeatAllocationState.allocated)')",
                    [row.eventID, row.seatLabel, row.categoryCode, row.nodeID])
            }
            for row in data.nodes {
                try connection.execute(
                    "INSERT INTO node (id, created_at) VALUES (?, ?)", [row.id, row.createdAt.sqlText])
            }
            for row in data.customers {
                try connection.execute(
                    "INSERT INTO customer (id, node_id, email, name, phone) VALUES (?, ?, ?, ?, ?)",
                    [row.id, row.nodeID, row.email, row.name, row.phone])
            }
            for row in data.orders {
                try connection.execute(
                    """
                    INSERT INTO orders (id, node_id, event_id, category_code, customer_id, status, total_minor, currency,
                                        idempotency_key, hold_id, created_at, created_by, received_at)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """,
                    [
                        row.id, row.nodeID, row.eventID, row.categoryCode, row.customerID, row.status, row.totalMinor,
                        row.currency, row.idempotencyKey, row.holdID, row.createdAt.sqlText, row.createdBy,
                        row.receivedAt.sqlText,
                    ])
            }
            for row in data.tickets {
                try connection.execute(
                    """
                    INSERT INTO ticket (code, order_id, node_id, event_id, category_code, seat_label, price_minor, status,
                                        checked_in_at, created_at)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """,
                    [
                        row.code, row.orderID, row.nodeID, row.eventID, row.categoryCode, row.seatLabel, row.priceMinor,
                        row.status, row.checkedInAt?.sqlText, row.createdAt.sqlText,
                    ])
            }
            for row in data.payments {
                try connection.execute(
                    """
                    INSERT INTO payment (id, order_id, node_id, method, amount_minor, currency, tendered_minor, change_minor,
                                         reference, status, refunded_minor, created_at)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """,
                    [
                        row.id, row.orderID, row.nodeID, row.method, row.amountMinor, row.currency, row.tenderedMinor,
                        row.changeMinor, row.reference, row.status, row.refundedMinor, row.createdAt.sqlText,
                    ])
            }
            for row in data.refunds {
                try connection.execute(
                    """
                    INSERT INTO refund (id, order_id, payment_id, node_id, amount_minor, currency, reason, origin, status,
                                        created_at, completed_at, received_at)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """,
                    [
                        row.id, row.orderID, row.paymentID, row.nodeID, row.amountMinor, row.currency, row.reason,
                        row.origin, row.status, row.createdAt.sqlText, row.completedAt?.sqlText,
                        row.receivedAt?.sqlText,
                    ])
            }
            for row in data.refundTickets {
                try connection.execute(
                    "INSERT INTO refund_ticket (refund_id, ticket_code) VALUES (?, ?)", [row.refundID, row.ticketCode])
            }
            return LoadSummary(
                catalog: catalog, allocations: data.allocations.count, nodes: data.nodes.count,
                customers: data.customers.count, orders: data.orders.count, tickets: data.tickets.count,
                payments: data.payments.count, refunds: data.refunds.count)
        }
    }

    /// Every row of `table` (matching `condition`) as `T`, in a stable order.
    private func all<T: Decodable>(_ table: String, _ condition: String = "1 = 1", orderBy: String? = nil) throws -> [T]
    {
        let order =
            orderBy
            ?? (table == "allocation"
                ? "event_id, category_code, node_id" : table == "allocation_seat" ? "event_id, seat_label" : "id")
        return try connection.rows("SELECT * FROM \(table) WHERE \(condition) ORDER BY \(order)").map {
            try $0.decode(T.self)
        }
    }

    /// Venues with their seat maps, and events with their categories and status.
    private func catalog() throws -> ReferenceData {
        let venues = try connection.rows("SELECT definition FROM venue ORDER BY id").map {
            try JSONText.decode(ReferenceData.Venue.self, from: try $0.get("definition"))
        }
        var categories = [String: [ReferenceData.Category]]()
        var currency: String?
        for row in try connection.rows("SELECT * FROM price_category ORDER BY event_id, code") {
            let category = try row.decode(CategoryRow.self)
            currency = currency ?? category.currency
            categories[category.eventID, default: []].append(
                ReferenceData.Category(
                    code: category.code, name: category.name, kind: category.kind.rawValue,
                    priceMinor: category.priceMinor,
                    capacity: category.kind == .ga ? category.capacity : nil,
                    sections: try category.sections.map { try JSONText.decode([String].self, from: $0) }))
        }
        let events = try connection.rows("SELECT * FROM event ORDER BY id").map { row in
            let event = try row.decode(EventRow.self)
            return ReferenceData.Event(
                id: event.id, venue: event.venueID, name: event.name, startsAt: event.startsAt.description,
                status: event.status.rawValue, capacity: event.capacity, categories: categories[event.id] ?? [])
        }
        let parameters = try CentralCatalog(connection: connection).parameters()
        return ReferenceData(
            format: "venue-reference/1",
            parameters: parameters ?? currency.map { ReferenceData.Parameters(currency: $0) },
            venues: venues,
            events: events, allocations: [], staff: [])
    }
}

/// What loading an export added.
public struct LoadSummary: Sendable, Codable, Equatable {
    public let catalog: CentralImportSummary
    public let allocations, nodes, customers, orders, tickets, payments, refunds: Int
}

private struct CategoryRow: Decodable {
    let eventID: String
    let code: String
    let name: String
    let kind: CategoryKind
    let priceMinor: Int64
    let currency: String
    let capacity: Int
    let sections: String?
}

private struct EventRow: Decodable {
    let id: String
    let venueID: String
    let name: String
    let startsAt: Timestamp
    let status: EventStatus
    let capacity: Int?
}
