import Foundation
import MySQLClient
import SyncWire

/// Head office's sales report: per event, and per node, category or local day when asked.
///
/// Its figures are reconciliation's: tickets and revenue count valid and checked-in tickets at
/// their price (as the capacity checks do), `collected` is payments net of refunds (as the
/// payment checks do), `refunded` is refunds paid out. What central has not heard yet is listed
/// per node: the records waiting in its outbox at its last push.
public struct SalesReport: Sendable, Codable, Equatable {
    /// How rows are split within an event.
    public enum Grouping: String, Sendable, Codable, CaseIterable {
        case event, node, category, day
    }

    public struct Line: Sendable, Codable, Equatable {
        public let eventID: String
        /// The node, category or local day (`2026-12-31`), or empty when grouped by event only.
        public let group: String
        public var orders: Int
        public var tickets: Int
        public var revenueMinor: Int64
        public var refundedMinor: Int64
        public var collectedMinor: Int64
        public let currency: String
    }

    /// A node whose facts have not all reached central.
    public struct Pending: Sendable, Codable, Equatable {
        public let nodeID: String
        public let records: Int64
        public let lastPushAt: Timestamp?
        /// The zone the node's people read times in (``NodeTimeZones``).
        public let timezone: String
    }

    public let grouping: Grouping
    public let lines: [Line]
    public let notYetSynced: [Pending]
}

extension SalesReport {
    /// The report over central's tables; `eventID` limits it to one event.
    public static func build(connection: MySQLConnection, eventID: String?, by grouping: Grouping) throws -> SalesReport
    {
        // Figures per event, node, category and quarter of an hour of the sale (UTC), summed in
        // Swift into the grouping asked for: a local day needs the venue's zone, which the
        // server's time zone tables may not have.
        let scope: [any SQLValueConvertible] = [eventID, eventID]
        let orders = try connection.rows(
            """
            SELECT o.event_id, o.node_id, o.category_code, FLOOR(UNIX_TIMESTAMP(o.created_at) / 900) AS bucket,
                   MAX(o.currency) AS currency, COUNT(*) AS orders,
                   COALESCE(SUM((SELECT COALESCE(SUM(p.amount_minor - p.refunded_minor), 0) FROM payment p WHERE p.order_id = o.id)), 0) AS collected
            FROM orders o WHERE (? IS NULL OR o.event_id = ?)
            GROUP BY o.event_id, o.node_id, o.category_code, bucket
            """, scope
        ).map { try $0.decode(Bucket.self) }
        let tickets = try connection.rows(
            """
            SELECT t.event_id, t.node_id, t.category_code, FLOOR(UNIX_TIMESTAMP(o.created_at) / 900) AS bucket,
                   COUNT(*) AS tickets, COALESCE(SUM(t.price_minor), 0) AS revenue
            FROM ticket t JOIN orders o ON o.id = t.order_id
            WHERE t.status IN \(TicketStatus.liveList) AND (? IS NULL OR t.event_id = ?)
            GROUP BY t.event_id, t.node_id, t.category_code, bucket
            """, scope
        ).map { try $0.decode(Bucket.self) }
        let refunds = try connection.rows(
            """
            SELECT o.event_id, r.node_id, o.category_code, FLOOR(UNIX_TIMESTAMP(o.created_at) / 900) AS bucket,
                   COALESCE(SUM(r.amount_minor), 0) AS refunded
            FROM refund r JOIN orders o ON o.id = r.order_id
            WHERE r.status = 'completed' AND (? IS NULL OR o.event_id = ?)
            GROUP BY o.event_id, r.node_id, o.category_code, bucket
            """, scope
        ).map { try $0.decode(Bucket.self) }
        var zones = [String: String]()
        for row in try connection.rows(
            "SELECT e.id, COALESCE(v.timezone, 'UTC') AS timezone FROM event e LEFT JOIN venue v ON v.id = e.venue_id")
        {
            zones[try row.get("id")] = try row.get("timezone")
        }
        var lines = [String: Line]()
        func add(_ bucket: Bucket, _ update: (inout Line) -> Void) {
            let group: String =
                switch grouping {
                case .event: ""
                case .node: bucket.nodeID
                case .category: bucket.categoryCode
                case .day: Self.localDay(bucket.bucket * 900, zone: zones[bucket.eventID] ?? "UTC")
                }
            let key = bucket.eventID + "\u{0}" + group
            var line =
                lines[key]
                ?? Line(
                    eventID: bucket.eventID, group: group, orders: 0, tickets: 0, revenueMinor: 0, refundedMinor: 0,
                    collectedMinor: 0, currency: bucket.currency ?? "")
            update(&line)
            lines[key] = line
        }
        for bucket in orders {
            add(bucket) {
                $0.orders += bucket.orders ?? 0
                $0.collectedMinor += bucket.collected ?? 0
            }
        }
        for bucket in tickets {
            add(bucket) {
                $0.tickets += bucket.tickets ?? 0
                $0.revenueMinor += bucket.revenue ?? 0
            }
        }
        for bucket in refunds { add(bucket) { $0.refundedMinor += bucket.refunded ?? 0 } }
        let nodeZones = try NodeTimeZones(connection: connection)
        let pending = try connection.rows(
            "SELECT id, outbox_pending, last_push_at FROM node WHERE outbox_pending > 0 ORDER BY id"
        ).map { row in
            let nodeID: String = try row.get("id")
            return Pending(
                nodeID: nodeID, records: try row.get("outbox_pending"),
                lastPushAt: try row.get("last_push_at", as: Timestamp?.self), timezone: nodeZones.zone(of: nodeID))
        }
        return SalesReport(
            grouping: grouping,
            lines: lines.values.sorted { ($0.eventID, $0.group) < ($1.eventID, $1.group) },
            notYetSynced: pending)
    }

    /// `2026-12-31`: the day `seconds` since the epoch falls on in `zone`.
    static func localDay(_ seconds: Int64, zone: String) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: zone) ?? TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyy-MM-dd"
        return formatter.string(from: Date(timeIntervalSince1970: Double(seconds)))
    }
}

/// One quarter-hour of one event, node and category, as the report's queries return it; each
/// query fills the figures it has.
private struct Bucket: Decodable {
    let eventID: String
    let nodeID: String
    let categoryCode: String
    let bucket: Int64
    let currency: String?
    let orders: Int?
    let collected: Int64?
    let tickets: Int?
    let revenue: Int64?
    let refunded: Int64?

    enum CodingKeys: String, CodingKey {
        case eventID, nodeID, categoryCode, bucket, currency, orders, collected, tickets, revenue, refunded
    }

    init(from decoder: Decoder) throws {
        let row = try decoder.container(keyedBy: CodingKeys.self)
        eventID = try row.decode(String.self, forKey: .eventID)
        nodeID = try row.decode(String.self, forKey: .nodeID)
        categoryCode = try row.decode(String.self, forKey: .categoryCode)
        bucket = try row.decode(Int64.self, forKey: .bucket)
        func optional<T: Decodable>(_ key: CodingKeys) throws -> T? {
            row.allKeys.contains(key) ? try row.decode(T?.self, forKey: key) : nil
        }
        currency = try optional(.currency)
        orders = try optional(.orders)
        collected = try optional(.collected)
        tickets = try optional(.tickets)
        revenue = try optional(.revenue)
        refunded = try optional(.refunded)
    }
}
