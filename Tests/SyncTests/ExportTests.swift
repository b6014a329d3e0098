import Foundation
import MySQLClient
import TestSupport
import Testing
import Ticketing

#if canImport(Glibc)
    import Glibc
#endif

/// `central export --anonymize` and `central import` of the export, as a migration test uses them.
@Suite struct ExportTests {
    static let personal = [
        "jane.doe@venue-fans.org", "Jane Doe", "+33612345678", "TERM-7731-0042", "her mother is ill", "till-jane-1",
        "max.mustermann@beispiel.de", "Max Mustermann", "venue-fans", "beispiel",
    ]

    private func sell(
        _ node: SyncNode, _ event: String, _ category: String, _ selection: SeatSelection, _ payment: PaymentRequest,
        _ customer: CustomerDetails?, key: String? = nil
    ) throws -> Receipt {
        try node.node.sales.sell(
            SaleRequest(
                eventID: event, categoryCode: category, selection: selection, payment: payment, customer: customer,
                idempotencyKey: key), by: node.admin)
    }

    @Test func anAnonymisedExportLoadsIntoAnEmptyCentralWithTheSameFiguresAndNoPersonalString() throws {
        let world = try SyncWorld()
        let a = try world.makeNode("NODE-A")
        let b = try world.makeNode("NODE-B")
        #expect(try world.syncOnce(a).status == 0 && world.syncOnce(b).status == 0)
        let jane = CustomerDetails(email: "jane.doe@venue-fans.org", name: "Jane Doe", phone: "+33612345678")
        let first = try sell(
            a, "BIG", "FLOOR", .quantity(2), PaymentRequest(method: .card, reference: "TERM-7731-0042"), jane,
            key: "till-jane-1")
        _ = try sell(a, "SEATED", "MAIN", .quantity(3), PaymentRequest(method: .cash, tenderedMinor: 20_000), jane)
        _ = try a.node.refunds.refund(
            orderID: first.orderID, ticketCodes: [first.tickets[0].code],
            reason: "Jane Doe cannot come, her mother is ill",
            by: a.admin)
        let max = CustomerDetails(email: "max.mustermann@beispiel.de", name: "Max Mustermann")
        let small = try sell(b, "SMALL", "GA", .quantity(4), PaymentRequest(method: .cash), max)
        _ = try b.node.door.checkIn(code: small.tickets[0].code, eventID: small.eventID, by: b.admin)
        for _ in 0..<5 { try b.sell("BIG", "FLOOR") }
        #expect(try world.syncOnce(a).status == 0 && world.syncOnce(b).status == 0)

        let key = world.directory.file("export.key")
        try Data(repeating: 7, count: 32).write(to: URL(fileURLWithPath: key))
        let file = world.directory.file("export.json")
        chmod(key, 0o644)
        let exposed = try world.central(["export", "--anonymize", file, "--key-file", key])
        #expect(
            exposed.status == 2 && exposed.stderr.contains("--key-file \(key) is open to other users (mode 644)"),
            "a key others may read is refused, as every secret file: \(exposed.stderr)")
        chmod(key, 0o600)
        let export = try world.central(["export", "--anonymize", file, "--key-file", key])
        #expect(export.status == 0, "\(export.stderr)")
        #expect((try FileManager.default.attributesOfItem(atPath: file)[.posixPermissions] as? Int) == 0o600)
        let text = try String(contentsOfFile: file, encoding: .utf8)
        for original in Self.personal {
            #expect(!text.contains(original), "'\(original)' survived the export")
        }
        #expect(!text.contains("\"root\""), "a staff name survived the export")
        #expect(try world.central(["export", file]).status == 2, "an export without --anonymize is refused")
        let existing = try world.central(["export", "--anonymize", file, "--key-file", key])
        #expect(
            existing.status == 2 && existing.stderr == "Error: \(file) already exists; give --force to replace it\n",
            "\(existing.stderr)")
        let overKey = try world.central(["export", "--anonymize", key, "--key-file", key, "--force"])
        #expect(
            overKey.status == 2
                && overKey.stderr.contains("\(key) is one of central's settings, password or key files"),
            "\(overKey.stderr)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: key)) == Data(repeating: 7, count: 32))
        #expect(try world.central(["export", "--anonymize", file, "--key-file", key, "--force"]).status == 0)

        let again = world.directory.file("again.json")
        #expect(try world.central(["export", "--anonymize", again, "--key-file", key]).status == 0)
        #expect(try section("customers", of: file) == section("customers", of: again), "the same key, the same people")
        let other = world.directory.file("other.json")
        #expect(try world.central(["export", "--anonymize", other]).status == 0)
        #expect(try section("customers", of: file) != section("customers", of: other), "a fresh key, other pseudonyms")

        let fresh = try world.server.freshDatabase()
        let environment = ["CENTRAL_URL": fresh, "CENTRAL_PASSWORD_FILE": world.server.passwordFile]
        let tool = ProcessRunner.product("central")
        #expect(try ProcessRunner.run(tool, ["migrate"], environment: environment).status == 0)
        let load = try ProcessRunner.run(tool, ["import", file], environment: environment)
        #expect(load.status == 0 && load.stdout.hasPrefix("Loaded 8 orders"), "\(load.stdout)\(load.stderr)")
        let copy = try MySQLConnection(MySQLConfiguration(url: fresh, environment: environment))
        for node in ["NODE-A", "NODE-B"] {
            let copied = try SyncWorld.totals(
                try copy.rows(SyncWorld.totalsSQL(byNode: true), Array(repeating: node, count: 8)))
            #expect(copied == (try world.centralTotals(node: node)), "\(node)")
        }
        for table in ["customer", "refund", "allocation", "allocation_seat", "event", "price_category", "seat"] {
            #expect(
                try copy.scalar("SELECT COUNT(*) FROM \(table)", as: Int.self)
                    == world.central.scalar(
                        "SELECT COUNT(*) FROM \(table) WHERE \(table == "allocation_seat" ? "state <> 'adding'" : "1 = 1")",
                        as: Int.self),
                "\(table)")
        }
        let twice = try ProcessRunner.run(tool, ["import", file], environment: environment)
        #expect(twice.status == 1 && twice.stderr.contains("load an export into an empty central"))
    }

    /// The JSON of one top-level key of an export, as written.
    private func section(_ key: String, of path: String) throws -> String {
        let object = try #require(
            try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as? [String: Any])
        return String(
            decoding: try JSONSerialization.data(withJSONObject: object[key] ?? [], options: .sortedKeys), as: UTF8.self
        )
    }
}
