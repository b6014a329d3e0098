import EdgeStore
import Foundation
import SyncWire
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

    /// Times that belong to no one event (maintenance, a session's end, a restore) are read in
    /// the zone the node's venues share, a refused check-in's in its venue's; `--json` keeps UTC
    /// and names the zone.
    @Test func maintenanceSessionsCheckInsAndRestoresShowTheVenuesTime() throws {
        let node = try CLINode()
        try Database(path: node.database).execute("UPDATE venue SET timezone = 'Europe/Amsterdam'")
        func local(_ iso: Any?) throws -> String {
            let text = (iso as? String) ?? (iso as? Substring).map(String.init)
            return try #require(text.flatMap(Timestamp.init(iso8601:)), "\(iso ?? "nil")").local(in: "Europe/Amsterdam")
        }
        func json(_ text: String) throws -> [String: Any] {
            try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        }

        let login = try node.expectSuccess(["login", "root"], stdin: "root-password\n")
        let session = try String(contentsOfFile: node.adminSession, encoding: .utf8)
        let expires = try local(session.split(separator: "\n").first { $0.hasPrefix("expires_at=") }?.dropFirst(11))
        #expect(login.stdout == "Logged in as root (admin) on node TEST-1 until \(expires).\n")
        let machine = try json(try node.expectSuccess(["login", "root", "--json"], stdin: "root-password\n").stdout)
        #expect(machine["timezone"] as? String == "Europe/Amsterdam")
        #expect((machine["expires_at"] as? String)?.hasSuffix("Z") == true)

        try node.expectSuccess(["maintenance", "on", "--reason", "stock take"])
        let state = try node.json(["maintenance", "status"])
        #expect(state["timezone"] as? String == "Europe/Amsterdam")
        let since = try local((state["local"] as? [String: Any])?["since"])
        #expect(
            try node.expectSuccess(["maintenance", "status"]).stdout.contains(
                "  here, by root since \(since): stock take\n"))
        #expect(try node.expectSuccess(["status"]).stdout.contains("on by root (here) since \(since): stock take"))
        #expect(try node.json(["status"])["timezone"] as? String == "Europe/Amsterdam")
        try node.expectSuccess(["maintenance", "off"])

        let sale = try node.json(["sell", "SHOW", "--category", "GA", "--qty", "1", "--payment", "cash"])
        let code = try #require((sale["tickets"] as? [[String: Any]])?.first?["code"] as? String)
        let admitted = try local(try node.json(["checkin", code, "--event", "SHOW"])["checked_in_at"])
        let again = try node.run(["checkin", code, "--event", "SHOW"])
        #expect(
            again.status == 1
                && again.stderr == "Error: ticket \(code) was already checked in at \(admitted), by TEST-1\n",
            "\(again.stderr)")

        // As a restore leaves a node that synced before: it takes its sales back before it sells.
        let restored = Timestamp(iso8601: "2030-07-01T12:00:00.000Z")!.milliseconds
        try Database(path: node.database).execute(
            "INSERT INTO sync_state (key, value) VALUES ('recovery_since', ?)", [String(restored)])
        let refused = try node.run(["sell", "SHOW", "--category", "GA", "--qty", "1", "--payment", "cash"])
        #expect(
            refused.stderr.contains("restored from a snapshot at 1 Jul 2030 14:00 CEST; it sells again"),
            "\(refused.stderr)")
        #expect(try node.expectSuccess(["status"]).stdout.contains("since 1 Jul 2030 14:00 CEST: sells again"))
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
