import Foundation
import TestSupport
import Testing

/// An `Idempotency-Key` belongs to the signed-in user who sent it and to one request: the same
/// request again gets the first answer; anyone else, or any other request, gets 409 and nothing
/// of the first answer, and nothing is written.
@Suite struct IdempotencyKeyTests {
    static let sale =
        #"{"event":"GALA","category":"FLOOR","quantity":1,"payment":{"method":"card","reference":"T-77"},"#
        + #""customer":{"email":"vip@example.org"}}"#

    private static func code(_ answer: (status: Int, body: Any?, headers: String)) -> String? {
        ((answer.body as? [String: Any])?["error"] as? [String: Any])?["code"] as? String
    }

    /// Another cashier sending a sale's key with the same body is refused, and sees neither the
    /// customer's email nor the card reference; the cashier who sold gets the receipt again.
    @Test func aSalesKeyIsTheSellersAlone() throws {
        let node = try APINode()
        let cashier = try node.signIn("cal")
        let supervisor = try node.signIn("sue")
        let sold = try node.call("POST", "/v1/sales", token: cashier, key: "till-1-sale-0001", json: Self.sale)
        #expect(sold.status == 201, "\(sold)")
        let other = try node.call("POST", "/v1/sales", token: supervisor, key: "till-1-sale-0001", json: Self.sale)
        #expect(other.status == 409 && Self.code(other) == "conflict", "\(other)")
        let text = String(decoding: try JSONSerialization.data(withJSONObject: other.body ?? [:]), as: UTF8.self)
        #expect(!text.contains("vip@example.org") && !text.contains("T-77"), "\(text)")
        let again = try node.call("POST", "/v1/sales", token: cashier, key: "till-1-sale-0001", json: Self.sale)
        #expect(again.status == 201 && again.headers.contains("Idempotent-Replayed: true"), "\(again)")
        #expect(try node.count("SELECT count(*) FROM orders") == 1)
    }

    /// A key used by one route is refused on any other: a sale's for a check-in, a hold's for a
    /// sale, a check-in's for a hold; another door's user sending a check-in's key is refused too.
    /// Nothing is checked in, sold or held by the refused requests.
    @Test func aKeyUsedByOneRouteIsRefusedOnAnother() throws {
        let node = try APINode()
        let cashier = try node.signIn("cal")
        let supervisor = try node.signIn("sue")
        let sold = try node.call("POST", "/v1/sales", token: cashier, key: "till-1-sale-0002", json: Self.sale)
        let tickets = try #require((sold.body as? [String: Any])?["tickets"] as? [[String: Any]])
        let code = try #require(tickets.first?["code"] as? String)
        let checkIn = #"{"code":"\#(code)","event":"GALA"}"#
        let reused = try node.call("POST", "/v1/checkins", token: cashier, key: "till-1-sale-0002", json: checkIn)
        #expect(reused.status == 409 && Self.code(reused) == "conflict", "\(reused)")
        #expect(try node.count("SELECT count(*) FROM ticket WHERE status = 'checked_in'") == 0)

        let hold = #"{"event":"GALA","category":"FLOOR","quantity":2}"#
        #expect(try node.call("POST", "/v1/holds", token: cashier, key: "till-1-hold-0001", json: hold).status == 201)
        let saleOnHoldKey = try node.call(
            "POST", "/v1/sales", token: cashier, key: "till-1-hold-0001", json: Self.sale)
        #expect(saleOnHoldKey.status == 409 && Self.code(saleOnHoldKey) == "conflict", "\(saleOnHoldKey)")
        #expect(try node.count("SELECT count(*) FROM orders") == 1)

        let admitted = try node.call("POST", "/v1/checkins", token: cashier, key: "door-1-scan-0001", json: checkIn)
        #expect(admitted.status == 200, "\(admitted)")
        let otherDoor = try node.call("POST", "/v1/checkins", token: supervisor, key: "door-1-scan-0001", json: checkIn)
        #expect(otherDoor.status == 409 && Self.code(otherDoor) == "conflict", "\(otherDoor)")
        let holdOnCheckInKey = try node.call("POST", "/v1/holds", token: cashier, key: "door-1-scan-0001", json: hold)
        #expect(holdOnCheckInKey.status == 409, "\(holdOnCheckInKey)")
        #expect(try node.count("SELECT count(*) FROM hold") == 1)
    }
}
