import Foundation
import TestSupport
import Testing

/// Every bad input exits non-zero with one clear line and leaves the database byte-for-byte unchanged.
@Suite struct BadInputTests {
    static let tenKilobytes = String(repeating: "x", count: 10_240)
    static let sell = ["sell", "SHOW", "--category", "GA", "--payment", "cash"]

    /// (arguments, stdin, run as cashier, expected exit code, a fragment of the message)
    static let cases: [([String], String?, Bool, Int32, String)] = [
        (["sell", "NOPE", "--category", "GA", "--qty", "1", "--payment", "cash"], nil, true, 6, "no event 'NOPE'"),
        (["sell", "SHOW", "--category", "VIP", "--qty", "1", "--payment", "cash"], nil, true, 6, "no category 'VIP'"),
        (
            ["sell", "SHOW'; DROP TABLE event; --", "--category", "GA", "--qty", "1", "--payment", "cash"], nil, true,
            6, "no event"
        ),
        (sell + ["--qty", "0"], nil, true, 2, "--qty must be from 1"),
        (sell + ["--qty", "-3"], nil, true, 2, "--qty must be from 1"),
        (sell + ["--qty", "99999999999999999999999"], nil, true, 2, "--qty must be a whole number"),
        (sell + ["--qty", "11"], nil, true, 2, "quantity must be from 1 to 10"),
        (sell + ["--qty", "two"], nil, true, 2, "--qty must be a whole number"),
        (["sell", "SHOW", "--category", "GA", "--qty", "1"], nil, true, 2, "missing --payment"),
        (sell + ["--qty", "1", "--tendered", "abc"], nil, true, 2, "--tendered must be a whole number"),
        (sell + ["--qty", "1", "--tendered", "12.50"], nil, true, 2, "--tendered must be a whole number"),
        (sell + ["--qty", "1", "--tendered", "100"], nil, true, 1, "less than the total 25.00 EUR"),
        (sell + ["--qty", "1", "--tendered", "99999999"], nil, true, 1, "exceeds the limit"),
        (sell + ["--qty", "1", "--amount", "100"], nil, true, 1, "does not match the order total"),
        (
            ["sell", "SHOW", "--category", "GA", "--qty", "1", "--payment", "card"], nil, true, 2,
            "needs the terminal's reference"
        ),
        (
            ["sell", "SHOW", "--category", "GA", "--qty", "1", "--payment", "comp"], nil, true, 5,
            "comp tickets needs a supervisor"
        ),
        (sell + ["--qty", "1", "--seat", "MAIN-A-1"], nil, true, 2, "not both"),
        (
            sell + ["--qty", "1", "--customer", "x'; DROP TABLE orders; --@example.org"], nil, true, 2,
            "not a valid email"
        ),
        (sell + ["--qty", "1", "--customer", tenKilobytes + "@example.org"], nil, true, 2, "email is too long"),
        (
            sell + ["--qty", "1", "--customer", "a@example.org", "--customer-name", tenKilobytes], nil, true, 2,
            "customer name is too long"
        ),
        (
            sell + ["--qty", "1", "--customer", "a@example.org", "--customer-name", "line\nbreak"], nil, true, 2,
            "control characters"
        ),
        (sell + ["--qty", "1", "--idempotency-key", "x"], nil, true, 2, "idempotency key must be"),
        (["sell", "DRAFT", "--category", "GA", "--qty", "1", "--payment", "cash"], nil, true, 1, "not on sale"),
        (
            ["sell", "SHOW", "--category", "MAIN", "--seat", "MAIN-Z-99", "--payment", "cash"], nil, true, 6,
            "no seat 'MAIN-Z-99'"
        ),
        (
            ["hold", "SHOW", "--category", "GA", "--qty", "1", "--ttl", "forever"], nil, true, 2,
            "--ttl must be a duration"
        ),
        (["refund", "ord_missing", "--reason", "x"], nil, false, 6, "no order"),
        (["refund", "ord_missing", "--reason", "x"], nil, true, 5, "refunds needs a supervisor"),
        (["checkin", tenKilobytes], nil, true, 2, "is not a ticket code"),
        (
            ["users", "add", "a'; DROP TABLE staff; --", "--role", "cashier"], "password-123\n", false, 2,
            "user name must be"
        ),
        (["users", "add", tenKilobytes, "--role", "cashier"], "password-123\n", false, 2, "user name must be"),
        (
            ["users", "add", "central", "--role", "supervisor"], "password-123\n", false, 2,
            "'central' names the node's own actors"
        ),
        (["users", "add", "system", "--role", "cashier"], "password-123\n", false, 2, "'system' names the node's own"),
        (["users", "add", "newbie", "--role", "janitor"], "password-123\n", false, 2, "--role must be one of"),
        (
            ["users", "add", "newbie", "--role", "cashier"], "password-123\n", true, 5,
            "adding users needs an admin or above; cal is a cashier"
        ),
        (["login", "root"], "wrong-password\n", false, 5, "wrong user name or password"),
        (["login", "root' OR '1'='1"], "x\n", false, 5, "wrong user name or password"),
        (["event", "cancel", "SHOW", "--reason", tenKilobytes], nil, false, 2, "reason is too long"),
        (["import", "/nonexistent/reference.json"], nil, false, 6, "cannot read"),
        (["lookup", "ab"], nil, true, 2, "at least 3 characters"),
        (["selll"], nil, true, 2, "Did you mean 'sell'?"),
    ]

    @Test(arguments: cases.indices)
    func badInputChangesNothing(index: Int) throws {
        let (arguments, stdin, asCashier, expectedStatus, fragment) = Self.cases[index]
        let node = SharedNode.node
        let before = try Self.dumpWithoutFailedLogins(node)
        let result = try node.run(arguments, stdin: stdin, session: asCashier ? node.cashierSession : nil)
        #expect(result.status == expectedStatus, "\(arguments.prefix(6)): \(result.stderr)")
        #expect(result.stderr.hasPrefix("Error: ") && result.stderr.contains(fragment), "\(result.stderr.prefix(300))")
        #expect(result.stderr.count < 1000, "the error message should be one short line")
        #expect(try Self.dumpWithoutFailedLogins(node) == before, "\(arguments.prefix(6)) changed the database")
    }

    /// The database without the failed logins counted (`login_failure`, and their audit lines): a
    /// wrong password is counted on purpose, and cases run at the same time on one node.
    static func dumpWithoutFailedLogins(_ node: CLINode) throws -> [Substring] {
        try node.dump().split(separator: "\n").filter { line in
            !line.hasPrefix("INSERT INTO login_failure")
                && !(line.hasPrefix("INSERT INTO audit_log") && line.contains("'login.failed'"))
        }
    }
}

/// One node shared by read-only and failing commands, so the matrix stays fast.
enum SharedNode {
    static let node: CLINode = try! CLINode()
}
