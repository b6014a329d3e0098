import EdgeStore
import Foundation
import SyncWire
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
        try Template.copyKey(to: path)
        node = try VenueNode.open(path: path, clock: clock)
        admin = try Self.staff(node, "root")
        supervisor = try Self.staff(node, "sue")
        cashier = try Self.staff(node, "cal")
    }

    static func staff(_ node: VenueNode, _ name: String) throws -> Operator {
        let row = try #require(try node.database.row("SELECT id, role FROM staff WHERE name = ?", [name]))
        return Operator(id: try row.get("id"), name: name, role: Role(rawValue: try row.get("role"))!)
    }

    func sell(
        _ event: String = "SHOW", _ category: String = "GA", selection: SeatSelection = .quantity(1),
        payment: PaymentRequest = PaymentRequest(method: .cash), customer: CustomerDetails? = nil,
        key: String? = nil, by actor: Operator? = nil
    ) throws -> Receipt {
        try node.sales.sell(
            SaleRequest(
                eventID: event, categoryCode: category, selection: selection, payment: payment,
                customer: customer, idempotencyKey: key), by: actor ?? cashier)
    }

    func count(_ sql: String, _ arguments: [any SQLValueConvertible] = []) throws -> Int {
        try node.database.scalar(sql, arguments) ?? 0
    }

    /// Every inventory invariant, as a list of violations (empty when all hold).
    func inventoryViolations() throws -> [String] {
        try node.database.rows(InventoryAudit.sql).map { try $0.get("problem") }
    }
}

/// The template database, built once per test process.
enum Template {
    static let path: String = {
        let folder = NSTemporaryDirectory() + "venuenode-template-\(getpid())"
        try! FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        atexit {
            try? FileManager.default.removeItem(atPath: NSTemporaryDirectory() + "venuenode-template-\(getpid())")
        }
        let building = folder + "/building.sqlite"
        _ = try! VenueNode.initialize(
            path: building, nodeID: TestFixture.nodeID, adminName: "root", password: "root-password")
        let node = try! VenueNode.open(path: building)
        let admin = try! NodeHarness.staff(node, "root")
        let fixture = folder + "/reference.json"
        try! TestFixture.referenceJSON.write(toFile: fixture, atomically: true, encoding: .utf8)
        _ = try! node.catalog.importReference(file: fixture, by: admin)
        let template = folder + "/template.sqlite"
        try! node.database.backup(to: template)
        try! FileManager.default.copyItem(
            atPath: SigningKeys.keyFile(forDatabase: building), toPath: SigningKeys.keyFile(forDatabase: template))
        return template
    }()

    /// Puts the template's signing key next to a copy of it at `path`, as `init` leaves it (0600).
    static func copyKey(to path: String) throws {
        let file = SigningKeys.keyFile(forDatabase: path)
        try FileManager.default.copyItem(atPath: SigningKeys.keyFile(forDatabase: Template.path), toPath: file)
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: file)
    }
}
