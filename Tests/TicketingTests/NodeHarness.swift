import EdgeStore
import Foundation
import TestSupport
import Testing
@testable import Ticketing

/// A node on its own copy of a template database (initialised, fixture imported), with a
/// manual clock and one operator per role.
final class NodeHarness {
    let directory = TemporaryDirectory()
    let clock = ManualWallClock(Timestamp(iso8601: "2029-06-01T10:00:00Z")!)
    let path: String
    let node: VenueNode
    let admin: Operator, supervisor: Operator, cashier: Operator

    init() throws {
        path = directory.file("node.sqlite")
        try FileManager.default.copyItem(atPath: Template.path, toPath: path)
        node = try VenueNode.open(path: path, clock: clock)
        admin = try Self.staff(node, "root")
        supervisor = try Self.staff(node, "sue")
        cashier = try Self.staff(node, "cal")
    }


    static func staff(_ node: VenueNode, _ name: String) throws -> Operator {
        let row = try #require(try node.database.row("SELECT id, role FROM staff WHERE name = ?", [name]))
        return Operator(id: try row.get("id"), name: name, role: Role(rawValue: try row.get("role"))!)
    }

    func sell(_ event: String = "SHOW", _ category: String = "GA", selection: SeatSelection = .quantity(1),
              payment: PaymentRequest = PaymentRequest(method: .cash), customer: CustomerDetails? = nil,
              key: String? = nil, by actor: Operator? = nil) throws -> Receipt {
        try node.sales.sell(SaleRequest(eventID: event, categoryCode: category, selection: selection, payment: payment,
                                        customer: customer, idempotencyKey: key), by: actor ?? cashier)
    }

    func count(_ sql: String, _ arguments: [any SQLValueConvertible] = []) throws -> Int {
        try node.database.scalar(sql, arguments) ?? 0
    }

    /// Every inventory invariant, as a list of violations (empty when all hold):
    /// `sold + held <= quota`, `sold` = valid tickets, `held` = active holds, seat statuses agree
    /// with the counters, and the event's counters are the sum of its categories within capacity.
    func inventoryViolations() throws -> [String] {
        try Self.inventoryViolations(node.database)
    }

    static func inventoryViolations(_ db: Database) throws -> [String] {
        try db.rows("""
            SELECT 'allocation ' || a.event_id || ' ' || a.category_code || ': sold ' || a.sold || ' held ' || a.held
                   || ' quota ' || a.quota || ' tickets ' || t.valid || ' holds ' || h.held || ' seats sold ' || s.sold
                   || ' seats held ' || s.held AS problem
            FROM allocation a
            JOIN price_category c ON c.event_id = a.event_id AND c.code = a.category_code
            JOIN (SELECT a2.event_id, a2.category_code,
                         (SELECT count(*) FROM ticket t WHERE t.event_id = a2.event_id AND t.category_code = a2.category_code
                            AND t.status IN ('valid', 'checked_in')) AS valid FROM allocation a2) t
              ON t.event_id = a.event_id AND t.category_code = a.category_code
            JOIN (SELECT a3.event_id, a3.category_code,
                         (SELECT coalesce(sum(quantity), 0) FROM hold h WHERE h.event_id = a3.event_id
                            AND h.category_code = a3.category_code AND h.status = 'active') AS held FROM allocation a3) h
              ON h.event_id = a.event_id AND h.category_code = a.category_code
            JOIN (SELECT a4.event_id, a4.category_code,
                         (SELECT count(*) FROM event_seat es WHERE es.event_id = a4.event_id AND es.category_code = a4.category_code
                            AND es.status = 'sold') AS sold,
                         (SELECT count(*) FROM event_seat es WHERE es.event_id = a4.event_id AND es.category_code = a4.category_code
                            AND es.status = 'held') AS held FROM allocation a4) s
              ON s.event_id = a.event_id AND s.category_code = a.category_code
            WHERE a.sold + a.held > a.quota OR a.sold != t.valid OR a.held != h.held
               OR (c.kind = 'seated' AND (s.sold != a.sold OR s.held != a.held))
            UNION ALL
            SELECT 'event ' || e.id || ': sold ' || e.sold || ' held ' || e.held || ' capacity ' || coalesce(e.capacity, '-')
            FROM event e
            WHERE e.sold != (SELECT coalesce(sum(sold), 0) FROM allocation WHERE event_id = e.id)
               OR e.held != (SELECT coalesce(sum(held), 0) FROM allocation WHERE event_id = e.id)
               OR (e.capacity IS NOT NULL AND e.sold + e.held > e.capacity)
            """).map { try $0.get("problem") }
    }
}

/// The template database, built once per test process.
enum Template {
    static let path: String = {
        let folder = NSTemporaryDirectory() + "venuenode-template-\(getpid())"
        try! FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        atexit { try? FileManager.default.removeItem(atPath: NSTemporaryDirectory() + "venuenode-template-\(getpid())") }
        let building = folder + "/building.sqlite"
        _ = try! VenueNode.initialize(path: building, nodeID: TestFixture.nodeID, adminName: "root", password: "root-password")
        let node = try! VenueNode.open(path: building)
        let admin = try! NodeHarness.staff(node, "root")
        let fixture = folder + "/reference.json"
        try! TestFixture.referenceJSON.write(toFile: fixture, atomically: true, encoding: .utf8)
        _ = try! node.catalog.importReference(file: fixture, by: admin)
        let template = folder + "/template.sqlite"
        try! node.database.backup(to: template)
        return template
    }()
}
