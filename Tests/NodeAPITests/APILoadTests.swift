import Foundation
import TestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// The API under many tills at once, hostile clients, and a stop.
@Suite struct APILoadTests {
    /// The summary the race client prints.
    struct Race: Decodable {
        let sold: Int
        let replayed: Int
        let soldOut: Int
        let other: [String: Int]
        let disconnected: Int?

        enum CodingKeys: String, CodingKey {
            case sold, replayed, other, disconnected
            case soldOut = "sold_out"
        }
    }

    static func race(_ node: APINode, token: String, seconds: Int, clients: Int) throws -> Race {
        let result = try node.python(["race", node.base, token, "GALA", "FLOOR", String(seconds), String(clients)])
        guard result.status == 0 else { throw APITestError("race client: \(result.stderr)") }
        return try JSONDecoder().decode(Race.self, from: Data(result.stdout.utf8))
    }

    /// 16 tills on kept-alive connections sell one category for 30 s, each sale under its own key
    /// and one in ten sent twice: exactly the quota is sold, every retry gets its original sale,
    /// nothing else is answered but sold out, and the node's counts agree.
    @Test func sixteenTillsSellExactlyTheQuota() throws {
        let node = try APINode(floor: 1500)
        let race = try Self.race(node, token: try node.signIn("cal"), seconds: 30, clients: 16)
        #expect(race.sold == 1500, "\(race)")
        #expect(race.other.isEmpty, "answers other than a sale or sold out: \(race.other)")
        #expect(race.replayed > 0 && race.soldOut > 0)
        #expect(try node.count("SELECT count(*) FROM ticket WHERE event_id = 'GALA'") == 1500)
        #expect(
            try node.count("SELECT sold FROM allocation WHERE event_id = 'GALA' AND category_code = 'FLOOR'") == 1500)
        #expect(try node.count("SELECT count(*) FROM orders") == 1500)
    }

    /// 10,000 hostile requests: half malformed HTTP (request lines, header fields, chunked bodies,
    /// lengths), half well framed with a valid session but wrong in their route, method, query,
    /// headers or JSON body (wrong types, huge numbers): each is answered with the error object
    /// (or, for bytes that are not HTTP, closed), the daemon serves on, and the database is as it
    /// was (`sqlite3 .dump`).
    @Test func tenThousandHostileRequestsChangeNothing() throws {
        let node = try APINode()
        let token = try node.signIn("cal")
        let before = try node.dump()
        let result = try node.python(["fuzz", node.base, token, "10000", "11"])
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        #expect(result.stdout == "ok 10000\n")
        #expect(try node.dump() == before)
        #expect(try node.call("GET", "/v1/events", token: token).status == 200)
    }

    /// 200 idle connections and clients sending a byte a second hold no worker: sales from
    /// another till are answered within the request deadline (`curl --max-time 10`).
    @Test func slowAndIdleClientsDoNotHoldUpSales() throws {
        let node = try APINode()
        let token = try node.signIn("cal")
        let slow = try BackgroundProcess(
            "/usr/bin/env", ["python3", APINode.helpers + "/slow-clients.py", String(node.port), "200", "50", "1"],
            logDirectory: node.directory.path)
        #expect(waitUntil(timeout: 30) { slow.stderr.contains("connected 200") } != nil, "\(slow.stderr)")
        for index in 0..<10 {
            let sale = try ProcessRunner.run(
                "/usr/bin/curl",
                [
                    "-sS", "-f", "--max-time", "10", "-o", "/dev/null", "-w", "%{http_code}", "-H",
                    "Authorization: Bearer \(token)", "-H", "Idempotency-Key: slow-test-\(index)-0000", "-H",
                    "Content-Type: application/json", "--data-binary", APIAccessTests.sale, node.base + "/v1/sales",
                ])
            #expect(sale.stdout == "201", "\(sale.stderr)")
        }
        withExtendedLifetime(slow) {}
    }

    /// SIGTERM while 16 tills sell: the daemon stops accepting, answers the sales it has, and
    /// exits 0; every sale a till was told about is in the database, and no other.
    @Test func aStopFinishesTheSalesInHand() throws {
        let node = try APINode(floor: 100_000)
        let token = try node.signIn("cal")
        let output = node.directory.file("race.json")
        let race = try BackgroundProcess(
            "/bin/sh",
            [
                "-c",
                "/usr/bin/python3 \(APINode.helpers)/api-client.py race \(node.base) \(token) GALA FLOOR 60 16 > \(output)",
            ], logDirectory: node.directory.path)
        #expect(waitUntil(timeout: 30) { (try? node.count("SELECT count(*) FROM orders")) ?? 0 >= 200 } != nil)
        node.daemon.send(SIGTERM)
        #expect(node.daemon.wait() == 0, "\(node.daemon.stderr)")
        #expect(race.wait() == 0)
        let summary = try JSONDecoder().decode(
            Race.self, from: try #require(FileManager.default.contents(atPath: output)))
        #expect(summary.other.keys.allSatisfy { $0.hasPrefix("503 stopping") }, "\(summary.other)")
        #expect((summary.disconnected ?? 0) > 0)
        #expect(try node.count("SELECT count(*) FROM orders") == summary.sold, "\(summary)")
    }
}
