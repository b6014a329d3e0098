import Foundation
import TestSupport
import Testing

/// People read the venue's local time; machines read UTC.
@Suite struct LocalTimeCLITests {
    static func reference(zone: String) -> String {
        """
        { "format": "venue-reference/1",
          "venues": [ { "id": "AMS", "name": "Concertgebouw", "timezone": "\(zone)", "sections": [] } ],
          "events": [ { "id": "GALA", "venue": "AMS", "name": "New Year's Eve Gala", "starts_at": "2030-12-31T20:00:00Z",
                        "status": "on_sale",
                        "categories": [ { "code": "GA", "name": "Standing", "kind": "ga", "price_minor": 5000, "capacity": 10 } ] } ],
          "allocations": [ { "node": "TEST-1", "event": "GALA", "category": "GA", "quota": 10 } ], "staff": [] }
        """
    }

    @Test func eventsReceiptsHoldsAndEmailsShowTheVenuesTimeAndJSONKeepsUTC() throws {
        let node = try CLINode()
        let file = node.directory.file("amsterdam.json")
        try Self.reference(zone: "Europe/Amsterdam").write(toFile: file, atomically: true, encoding: .utf8)
        try node.expectSuccess(["import", file])
        #expect(try node.expectSuccess(["events"]).stdout.contains("31 Dec 2030 21:00 CET"))
        #expect(try node.expectSuccess(["availability", "GALA"]).stdout.contains("starts 31 Dec 2030 21:00 CET"))
        let sale = try node.expectSuccess([
            "sell", "GALA", "--category", "GA", "--qty", "1", "--payment", "cash", "--customer", "jo@example.org",
        ])
        #expect(sale.stdout.contains("New Year's Eve Gala, 31 Dec 2030 21:00 CET"), "\(sale.stdout)")
        let machine = try node.expectSuccess(["availability", "GALA", "--json"]).stdout
        #expect(machine.contains("\"starts_at\" : \"2030-12-31T20:00:00.000Z\"") && !machine.contains("CET"))
        let hold = try node.expectSuccess(["hold", "GALA", "--category", "GA", "--qty", "1"]).stdout
        #expect(hold.contains(", expires ") && (hold.contains(" CET") || hold.contains(" CEST")), "\(hold)")

        let spool = node.directory.file("spool")
        try node.expectSuccess(["notifications", "send", "--spool", spool])
        let email = try #require(try FileManager.default.contentsOfDirectory(atPath: spool).first)
        let helpers = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Helpers").path
        let parsed = try ProcessRunner.run("/usr/bin/python3", [helpers + "/check-email.py", spool + "/" + email])
        #expect(parsed.stdout.contains("Concertgebouw, 31 Dec 2030 21:00 CET"), "\(parsed.stdout)\(parsed.stderr)")
    }

    @Test func aZoneTheSystemDoesNotKnowIsRefused() throws {
        let node = try CLINode()
        let file = node.directory.file("atlantis.json")
        try Self.reference(zone: "Europe/Atlantis").write(toFile: file, atomically: true, encoding: .utf8)
        let refused = try node.run(["import", file])
        #expect(
            refused.status == 2 && refused.stderr.contains("unknown time zone 'Europe/Atlantis'"), "\(refused.stderr)")
    }
}
