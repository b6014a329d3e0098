import Foundation
import TestSupport
import Testing

/// A ticket's QR code as a till's receipt shows it (`GET /v1/tickets/{code}/qr`), read back by a
/// real decoder: the SVG rendered by `rsvg-convert` (librsvg2-bin), the PNG as served, both
/// decoded by `zbarimg` (zbar-tools).
@Suite struct TicketQRTests {
    /// What a `GET` answered: its status, header fields (names in lower case) and the file
    /// holding its body.
    struct Fetched {
        let status: Int
        let headers: [String: String]
        let body: String
    }

    static func fetch(_ node: APINode, _ path: String, token: String?, headers: [String] = []) throws -> Fetched {
        let body = node.directory.file("qr-\(UUID().uuidString.prefix(8))")
        var arguments = ["-sS", "-D", "-", "-o", body, node.base + path]
        if let token { arguments += ["-H", "Authorization: Bearer \(token)"] }
        for header in headers { arguments += ["-H", header] }
        let result = try ProcessRunner.run("/usr/bin/curl", arguments)
        let status = Int(result.stdout.split(separator: " ").dropFirst().first ?? "") ?? 0
        return Fetched(status: status, headers: PagesTests.headers(result.stdout), body: body)
    }

    /// The QR codes `zbarimg` reads in the PNG file `png`, sorted.
    static func decoded(_ png: String) throws -> [String] {
        let result = try ProcessRunner.run(
            "/usr/bin/zbarimg", ["--quiet", "--raw", "-Sdisable", "-Sqrcode.enable", png])
        #expect(result.status == 0, "zbarimg: \(result.stderr)")
        return result.stdout.split(separator: "\n").map(String.init).sorted()
    }

    /// The SVG file `svg` rendered to PNG and decoded.
    static func decodedSVG(_ svg: String) throws -> [String] {
        let render = try ProcessRunner.run(
            "/usr/bin/rsvg-convert", ["--background-color", "white", "-o", svg + ".png", svg])
        #expect(render.status == 0, "rsvg-convert: \(render.stderr)")
        return try decoded(svg + ".png")
    }

    /// A cashier's sale of two seats: each ticket's QR code, SVG by default, PNG by `?format=png`
    /// or `Accept: image/png`, decodes to the ticket's signed code (the receipt's
    /// `signed_code`, what the printed ticket carries); the code may be typed in lower case.
    @Test func theServedQRCodeDecodesToTheTicketsSignedCode() throws {
        let node = try APINode()
        let token = try node.signIn("cal")
        let sale = try node.call(
            "POST", "/v1/sales", token: token, key: "qr-sale-0001",
            json: #"{"event":"GALA","category":"STALLS","quantity":2,"payment":{"method":"cash"}}"#)
        #expect(sale.status == 201, "\(sale)")
        let tickets = try #require((sale.body as? [String: Any])?["tickets"] as? [[String: Any]])
        #expect(tickets.count == 2)
        for ticket in tickets {
            let code = try #require(ticket["code"] as? String)
            let signed = try #require(ticket["signed_code"] as? String)
            #expect(signed.count == 129)

            let svg = try Self.fetch(node, "/v1/tickets/\(code)/qr", token: token)
            #expect(svg.status == 200)
            #expect(svg.headers["content-type"] == "image/svg+xml")
            #expect(svg.headers["cache-control"] == "no-store", "an admission credential stays out of caches")
            #expect(try Self.decodedSVG(svg.body) == [signed])

            let png = try Self.fetch(node, "/v1/tickets/\(code.lowercased())/qr?format=png", token: token)
            #expect(png.status == 200)
            #expect(png.headers["content-type"] == "image/png")
            #expect(try Self.decoded(png.body) == [signed])
        }
        let code = try #require(tickets[0]["code"] as? String)
        let accepted = try Self.fetch(
            node, "/v1/tickets/\(code)/qr", token: token, headers: ["Accept: image/webp, image/png;q=0.9, */*;q=0.1"])
        #expect(accepted.headers["content-type"] == "image/png")
        #expect(try Self.decoded(accepted.body) == [try #require(tickets[0]["signed_code"] as? String)])
        let browser = try Self.fetch(
            node, "/v1/tickets/\(code)/qr", token: token,
            headers: ["Accept: image/avif,image/webp,image/apng,image/svg+xml,image/*,*/*;q=0.8"])
        #expect(browser.headers["content-type"] == "image/svg+xml", "an <img>'s Accept gets SVG")
        let formatWins = try Self.fetch(
            node, "/v1/tickets/\(code)/qr?format=svg", token: token, headers: ["Accept: image/png"])
        #expect(formatWins.headers["content-type"] == "image/svg+xml")
    }

    /// What is no ticket of this node, a format it does not draw, an Accept it cannot meet and
    /// no session each get the error object with their status, and nothing is written.
    @Test func whatIsNoTicketOrNoImageGetsTheErrorObject() throws {
        let node = try APINode()
        let token = try node.signIn("cal")
        let sale = try node.call(
            "POST", "/v1/sales", token: token, key: "qr-sale-0002",
            json: #"{"event":"GALA","category":"FLOOR","quantity":1,"payment":{"method":"cash"}}"#)
        let order = try #require((sale.body as? [String: Any])?["order_id"] as? String)
        let code = try #require(
            ((sale.body as? [String: Any])?["tickets"] as? [[String: Any]])?.first?["code"] as? String)
        let before = try node.dump()
        let cases: [(path: String, headers: [String], token: String?, status: Int, code: String)] = [
            ("/v1/tickets/AAAA-BBBB-CCCC-DDDD/qr", [], token, 404, "not_found"),
            ("/v1/tickets/\(order)/qr", [], token, 404, "not_found"),
            ("/v1/tickets/not%20a%20code/qr", [], token, 404, "not_found"),
            ("/v1/tickets/\(code)/qr?format=gif", [], token, 400, "bad_request"),
            ("/v1/tickets/\(code)/qr", ["Accept: application/json"], token, 406, "not_acceptable"),
            ("/v1/tickets/\(code)/qr", [], nil, 401, "not_logged_in"),
        ]
        for (path, headers, token, status, errorCode) in cases {
            let answer = try Self.fetch(node, path, token: token, headers: headers)
            #expect(answer.status == status, "\(path) \(headers)")
            #expect(answer.headers["content-type"]?.hasPrefix("application/json") == true, "\(path)")
            let document =
                try JSONSerialization.jsonObject(
                    with: try #require(FileManager.default.contents(atPath: answer.body))) as? [String: Any]
            let error = document?["error"] as? [String: Any]
            #expect(error?["code"] as? String == errorCode, "\(path) \(headers): \(document ?? [:])")
            #expect((error?["message"] as? String)?.isEmpty == false)
        }
        #expect(try node.dump() == before)
    }

    /// A refunded ticket has no QR code to show: refused (409), as its print carries none.
    @Test func aRefundedTicketHasNoQRCode() throws {
        let node = try APINode()
        let token = try node.signIn("sue")
        let sale = try node.call(
            "POST", "/v1/sales", token: token, key: "qr-sale-0002",
            json: #"{"event":"GALA","category":"STALLS","quantity":1,"payment":{"method":"cash"}}"#)
        let order = try #require((sale.body as? [String: Any])?["order_id"] as? String)
        let code = try #require(
            ((sale.body as? [String: Any])?["tickets"] as? [[String: Any]])?.first?["code"] as? String)
        let refund = try node.call(
            "POST", "/v1/orders/\(order)/refunds", token: token, key: "qr-refund-0002", json: #"{"reason":"ill"}"#)
        #expect(refund.status == 201, "\(refund)")
        let qr = try Self.fetch(node, "/v1/tickets/\(code)/qr", token: token)
        #expect(qr.status == 409)
        #expect(
            try String(contentsOfFile: qr.body, encoding: .utf8).contains(
                "ticket \(code) is refunded: it has no QR code"))
    }
}
