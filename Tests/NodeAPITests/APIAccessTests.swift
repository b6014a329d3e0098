import Foundation
import TestSupport
import Testing

/// Who may do what over the API: every route for every role and for no session, the same rule as
/// the command line's (`AccessTests`), except that every route but signing in needs a session.
@Suite struct APIAccessTests {
    struct Rule: Sendable, CustomStringConvertible {
        let method: String
        let path: String
        let json: String?
        /// The least role that may call it; nil: no session needed.
        let minimum: String?
        var description: String { "\(method) \(path)" }
    }

    static let sale = #"{"event":"GALA","category":"FLOOR","quantity":1,"payment":{"method":"cash"}}"#
    static let rules: [Rule] = [
        Rule(method: "GET", path: "/v1/events", json: nil, minimum: "cashier"),
        Rule(method: "GET", path: "/v1/events/GALA/availability", json: nil, minimum: "cashier"),
        Rule(method: "GET", path: "/v1/events/GALA/seats", json: nil, minimum: "cashier"),
        Rule(method: "POST", path: "/v1/sales", json: sale, minimum: "cashier"),
        Rule(
            method: "POST", path: "/v1/sales",
            json: #"{"event":"GALA","category":"FLOOR","quantity":1,"payment":{"method":"comp"}}"#,
            minimum: "supervisor"),
        Rule(
            method: "POST", path: "/v1/holds", json: #"{"event":"GALA","category":"FLOOR","quantity":1}"#,
            minimum: "cashier"),
        Rule(
            method: "POST", path: "/v1/holds/hold_NONE/confirm", json: #"{"payment":{"method":"cash"}}"#,
            minimum: "cashier"),
        Rule(method: "POST", path: "/v1/holds/hold_NONE/release", json: nil, minimum: "cashier"),
        Rule(method: "GET", path: "/v1/orders?q=nobody%40example.org", json: nil, minimum: "cashier"),
        Rule(method: "GET", path: "/v1/orders/ord_NONE", json: nil, minimum: "cashier"),
        Rule(method: "GET", path: "/v1/tickets/AAAA-BBBB-CCCC-DDDD", json: nil, minimum: "cashier"),
        Rule(method: "GET", path: "/v1/tickets/AAAA-BBBB-CCCC-DDDD/qr", json: nil, minimum: "cashier"),
        Rule(method: "POST", path: "/v1/orders/ord_NONE/refunds", json: #"{"reason":"test"}"#, minimum: "supervisor"),
        Rule(method: "POST", path: "/v1/checkins", json: #"{"code":"AAAA-BBBB-CCCC-DDDD"}"#, minimum: "cashier"),
        Rule(method: "GET", path: "/v1/drawer", json: nil, minimum: "cashier"),
        Rule(method: "POST", path: "/v1/drawer/open", json: #"{"float_minor":0}"#, minimum: "cashier"),
        Rule(method: "POST", path: "/v1/drawer/close", json: #"{"counted_minor":0}"#, minimum: "cashier"),
        Rule(method: "GET", path: "/v1/reports/shift", json: nil, minimum: "cashier"),
        Rule(method: "GET", path: "/v1/reports/day", json: nil, minimum: "supervisor"),
        Rule(method: "GET", path: "/v1/status", json: nil, minimum: "cashier"),
        Rule(method: "POST", path: "/v1/users/cal/unlock", json: nil, minimum: "admin"),
        Rule(method: "GET", path: "/v1/health", json: nil, minimum: nil),
        Rule(method: "GET", path: "/openapi.json", json: nil, minimum: nil),
    ]
    static let ranks = ["cashier": 0, "supervisor": 1, "admin": 2]

    @Test func everyRouteChecksTheRoleAsTheCommandLineDoes() throws {
        let node = try APINode()
        let tokens: [String?: String] = [
            "cashier": try node.signIn("cal"), "supervisor": try node.signIn("sue"), "admin": try node.signIn("root"),
        ]
        for role in [String?.none, "cashier", "supervisor", "admin"] {
            for (index, rule) in Self.rules.enumerated() {
                let key = rule.method == "POST" ? "access-\(role ?? "none")-\(index)" : nil
                let answer = try node.call(
                    rule.method, rule.path, token: role.flatMap { tokens[$0] }, key: key, json: rule.json)
                let code = (answer.body as? [String: Any]).flatMap { ($0["error"] as? [String: Any])?["code"] }
                guard let minimum = rule.minimum else {
                    #expect(answer.status == 200, "\(role ?? "no session") \(rule): \(answer)")
                    continue
                }
                guard let role else {
                    #expect(answer.status == 401, "no session \(rule): \(answer.status) \(code ?? "")")
                    continue
                }
                if Self.ranks[role]! >= Self.ranks[minimum]! {
                    #expect(answer.status != 401 && answer.status != 403, "\(role) may \(rule): \(answer)")
                } else {
                    #expect(answer.status == 403, "\(role) must not \(rule): \(answer.status)")
                    #expect(code as? String == "not_permitted")
                }
            }
        }
    }

    /// A session ends when its staff member's password changes or the account is disabled, as at
    /// the command line; a signed-out token is refused.
    @Test func sessionsEndWithAPasswordChangeAndOnSignOut() throws {
        let node = try APINode()
        let cashier = try node.signIn("cal")
        #expect(try node.call("GET", "/v1/events", token: cashier).status == 200)
        try APINode.boxoffice(node.database, ["users", "passwd", "cal"], stdin: "cal-password-2\n")
        #expect(try node.call("GET", "/v1/events", token: cashier).status == 401)
        let supervisor = try node.signIn("sue")
        #expect(try node.call("DELETE", "/v1/sessions/current", token: supervisor).status == 204)
        #expect(try node.call("GET", "/v1/events", token: supervisor).status == 401)
        #expect(try node.call("GET", "/v1/events", token: "not-a-token").status == 401)
        #expect(try node.call("GET", "/v1/events", headers: ["Authorization: Basic cm9vdDpyb290"]).status == 401)
    }

    /// Failed logins over the API slow down (429 with Retry-After) and then lock the account (423,
    /// with Retry-After until the lock ends); an admin unlocks it over the API; the lock is
    /// audit-logged.
    @Test func failedSignInsSlowDownThenLockUntilAnAdminUnlocks() throws {
        let node = try APINode()
        let admin = try node.signIn("root")
        let wrong = #"{"name":"cal","password":"wrong-password"}"#
        for _ in 0..<5 { #expect(try node.call("POST", "/v1/sessions", json: wrong).status == 401) }
        #expect(try node.count("SELECT failures FROM login_failure WHERE name = 'cal'") == 5)
        // The wait after the fifth failure is 1 s, which a loaded machine's next request can
        // outlast: the ninth's (16 s) cannot.
        try node.failByHand("cal", failures: 9)
        let slowed = try node.call("POST", "/v1/sessions", json: wrong)
        #expect(slowed.status == 429, "\(slowed)")
        #expect(slowed.headers.contains("Retry-After:"))
        try node.lockByHand("cal")
        let locked = try node.call("POST", "/v1/sessions", json: #"{"name":"cal","password":"cal-password"}"#)
        #expect(locked.status == 423, "\(locked)")
        let retryAfter = locked.headers.split(separator: "\r\n").first { $0.hasPrefix("Retry-After: ") }
        #expect(retryAfter.flatMap { Int($0.dropFirst("Retry-After: ".count)) }.map { (1...900).contains($0) } == true)
        #expect(try node.call("POST", "/v1/users/cal/unlock", token: admin, key: "unlock-cal-0001").status == 200)
        #expect(try node.signIn("cal").isEmpty == false)
        #expect(try node.count("SELECT count(*) FROM audit_log WHERE action = 'staff.unlocked'") == 1)
    }
}

extension APINode {
    /// Counts `failures` failed sign-ins in a row for `name`, the last one now.
    func failByHand(_ name: String, failures: Int) throws {
        let now = Int64(Date().timeIntervalSince1970 * 1000)
        let result = try ProcessRunner.run(
            "/usr/bin/sqlite3",
            [
                database,
                "UPDATE login_failure SET failures = \(failures), last_failed_at = \(now) WHERE name = '\(name)'",
            ])
        guard result.status == 0 else { throw APITestError("cannot count failures for \(name): \(result.stderr)") }
    }

    /// Locks `name` as ten failures in a row would, without waiting out the slow-down between them.
    func lockByHand(_ name: String) throws {
        let until = Int64(Date().timeIntervalSince1970 * 1000) + 15 * 60_000
        let result = try ProcessRunner.run(
            "/usr/bin/sqlite3",
            [database, "UPDATE login_failure SET failures = 10, locked_until = \(until) WHERE name = '\(name)'"])
        guard result.status == 0 else { throw APITestError("cannot lock \(name): \(result.stderr)") }
    }
}

/// Where the API may listen.
@Suite struct APIListenTests {
    private func syncd(_ arguments: [String], environment: [String: String] = [:]) throws -> ProcessResult {
        try ProcessRunner.run(
            ProcessRunner.product("venue-syncd"), ["--db", "/nonexistent/venue.sqlite", "--once"] + arguments,
            environment: ["CENTRAL_URL": "mysql://venue_app@127.0.0.1:1/central", "CENTRAL_PASSWORD": "unused"]
                .merging(environment) { $1 })
    }

    /// An address other machines reach, without TLS in front, is refused unless said so; loopback
    /// and a malformed setting as operators would expect.
    @Test func theAPIListensOnTheNetworkOnlyWhenToldTo() throws {
        let open = try syncd(["--listen", "0.0.0.0:18443"])
        #expect(open.status == 2, "\(open.stderr)")
        #expect(open.stderr.contains("without TLS") && open.stderr.contains("--allow-plain-http"), "\(open.stderr)")
        let told = try syncd(["--listen", "0.0.0.0:18443", "--allow-plain-http"])
        #expect(told.status != 2, "\(told.stderr)")
        let byConfig = try syncd(["--listen", "0.0.0.0:18443"], environment: ["SYNCD_ALLOW_PLAIN_HTTP": "yes"])
        #expect(byConfig.status != 2, "\(byConfig.stderr)")
        let malformed = try syncd(["--listen", "0.0.0.0:18443"], environment: ["SYNCD_ALLOW_PLAIN_HTTP": "maybe"])
        #expect(malformed.status == 2 && malformed.stderr.contains("SYNCD_ALLOW_PLAIN_HTTP must be yes or no"))
        let both = try syncd(["--listen", "127.0.0.1:18443", "--http", "127.0.0.1:18444"])
        #expect(both.status == 2 && both.stderr.contains("name the same listener"))
        for address in ["127.0.0.1:18443", "[::1]:18443", "localhost:18443"] {
            #expect(try syncd(["--listen", address]).status != 2, "\(address)")
        }
    }
}
