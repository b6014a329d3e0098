import Foundation
import TestSupport
import Testing

/// The door over the API as a scanner app uses it, held to what `boxoffice` does with the same
/// input.
@Suite struct DoorAPITests {
    /// ``APINode``'s venue with GALA starting in an hour: its doors are open.
    static var galaTonight: String { APINode.reference(floor: 100, startsAt: APINode.startingIn(hours: 1)) }

    /// A cashier's sale of `quantity` GALA tickets over the API: their signed codes.
    static func signedCodes(_ node: APINode, token: String, quantity: Int, key: String) throws -> [String] {
        let sale = try node.call(
            "POST", "/v1/sales", token: token, key: key,
            json: #"{"event":"GALA","category":"STALLS","quantity":\#(quantity),"payment":{"method":"cash"}}"#)
        #expect(sale.status == 201, "\(sale)")
        let tickets = try #require((sale.body as? [String: Any])?["tickets"] as? [[String: Any]])
        return tickets.compactMap { $0["signed_code"] as? String }
    }

    /// A field an admissions file does not have, in the document or in one of its admissions, is
    /// refused by name by the API as by `checkin --import`, the same words, and nothing recorded.
    @Test func anImportWithAFieldTheFormatDoesNotHaveIsRefusedAsTheCommandRefusesIt() throws {
        let node = try APINode(reference: Self.galaTonight)
        let token = try node.signIn("sue")
        let signed = try Self.signedCodes(node, token: token, quantity: 1, key: "import-sale-01")
        let iso = ISO8601DateFormatter()
        iso.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        let now = iso.string(from: Date())
        let before = try node.dump()
        for (extra, admissionExtra, field, expected) in [
            (
                "", #", "gaet": "Balcony""#, "admissions[0].gaet",
                "at, code, gate"
            ),
            (#", "evil_field": 1"#, "", "evil_field", "admissions, event_id, format, gate, scanner"),
        ] {
            let document = """
                {"format": "venue-scanner-admissions/1", "scanner": "HANDHELD-2", "event_id": "GALA", "gate": "Main"\(extra),
                 "admissions": [{"code": "\(signed[0])", "at": "\(now)"\(admissionExtra)}]}
                """
            let refused = try node.call(
                "POST", "/v1/checkins/imports", token: token, key: "import-\(field.filter { $0.isLetter })",
                json: document)
            let error = (refused.body as? [String: Any])?["error"] as? [String: Any]
            let message = "unknown field '\(field)'; expected: \(expected)"
            #expect(refused.status == 400 && error?["message"] as? String == message, "\(refused)")

            let file = node.directory.file("admissions.json")
            try document.write(toFile: file, atomically: true, encoding: .utf8)
            let command = try ProcessRunner.run(
                ProcessRunner.product("boxoffice"), ["checkin", "--import", file],
                environment: ["BOXOFFICE_DB": node.database, "BOXOFFICE_SESSION_FILE": node.database + ".session"])
            #expect(command.status == 2 && command.stderr == "Error: \(file): \(message)\n", "\(command.stderr)")
        }
        #expect(try node.dump() == before)
    }

    /// Why a door keys each scan and never each ticket (README's door example): a retry of one
    /// scan after a lost answer gets that answer again, while the next scan of the same code — a
    /// photocopy — is a new attempt and refused. Keyed by the code, the copy would be a retry of
    /// the first scan and get in.
    @Test func aDoorKeysEachScanSoACopyOfATicketIsRefused() throws {
        let node = try APINode()
        let token = try node.signIn("cal")
        let code = try #require(try Self.signedCodes(node, token: token, quantity: 1, key: "scan-sale-01").first)
        let door = #"{"code": "\#(code)", "gate": "North", "event": "GALA"}"#
        let first = try node.call("POST", "/v1/checkins", token: token, key: "door1-scan-0001", json: door)
        #expect(first.status == 200, "\(first)")
        let retry = try node.call("POST", "/v1/checkins", token: token, key: "door1-scan-0001", json: door)
        #expect(retry.status == 200 && retry.headers.lowercased().contains("idempotent-replayed: true"), "\(retry)")
        let copy = try node.call("POST", "/v1/checkins", token: token, key: "door1-scan-0002", json: door)
        let error = (copy.body as? [String: Any])?["error"] as? [String: Any]
        #expect(copy.status == 409 && error?["code"] as? String == "already_checked_in", "\(copy)")
        #expect(try node.count("SELECT count(*) FROM door_admission") == 1)
    }
}
