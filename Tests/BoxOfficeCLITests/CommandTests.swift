import Foundation
import TestSupport
import Testing
import Ticketing

@Suite struct CommandTests {
    @Test func versionAndUsageErrorsReadExactly() throws {
        let node = SharedNode.node
        let version = try node.run(["--version"])
        #expect(version.status == 0 && version.stdout == "boxoffice 0.1.0\n")
        let typo = try node.run(["sell", "SHOW", "--categroy", "GA"])
        #expect(typo.status == 2 && typo.stdout.isEmpty)
        #expect(
            typo.stderr == """
                Error: unknown option '--categroy'. Did you mean '--category'?
                Usage: boxoffice sell EVENT --category C (--qty N | --seat SEAT...) --payment cash|card|comp [options]
                See 'boxoffice sell --help'.

                """)
        let json = try node.run(["sell", "SHOW", "--category", "GA", "--qty", "0", "--payment", "cash", "--json"])
        #expect(json.status == 2)
        let object = try #require(
            try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: [String: Any]])
        #expect(object["error"]?["code"] as? String == "usage" && object["error"]?["exit_code"] as? Int == 2)
    }

    @Test func helpIsGeneratedForEveryCommand() throws {
        let node = SharedNode.node
        let help = try node.run(["sell", "--help"])
        #expect(help.status == 0)
        #expect(
            help.stdout.hasPrefix(
                "OVERVIEW: Sell tickets and take payment in one step; prints the receipt.\n\nUSAGE: boxoffice sell EVENT"
            ))
        #expect(help.stdout.contains("--idempotency-key K") && help.stdout.contains("GLOBAL OPTIONS:"))
        let top = try node.run(["--help"])
        for command in [
            "init", "import", "login", "sell", "hold", "confirm", "release", "refund", "order", "lookup", "users",
            "status",
        ] {
            #expect(top.stdout.contains("\n  \(command) "), "\(command) missing from help")
        }
    }

    @Test func aSalePrintsOrderTicketsTotalAndChange() throws {
        let node = try CLINode()
        let result = try node.cashier([
            "sell", "SHOW", "--category", "GA", "--qty", "2", "--payment", "cash", "--tendered", "6000",
        ])
        #expect(result.status == 0)
        let lines = result.stdout.split(separator: "\n").map(String.init)
        #expect(lines[0].hasPrefix("Order ord_") && lines[0].hasSuffix(" confirmed"))
        #expect(lines.filter { $0.hasPrefix("  ") && $0.hasSuffix("GA  25.00 EUR") }.count == 2)
        #expect(lines.contains("Total:    50.00 EUR"))
        #expect(lines.contains("Paid:     cash 50.00 EUR, tendered 60.00 EUR, change 10.00 EUR"))
    }

    /// The same key with the same sale replays it, for the user who gave it only.
    @Test func aRepeatedKeyReturnsTheSameOrderAndChargesOnce() throws {
        let node = try CLINode()
        let arguments = [
            "sell", "SHOW", "--category", "MAIN", "--qty", "2", "--payment", "card", "--reference", "T-77",
            "--idempotency-key", "till-1-0001",
        ]
        let first = try node.json(arguments, session: node.cashierSession)
        let again = try node.json(arguments, session: node.cashierSession)
        #expect(first["order_id"] as? String == again["order_id"] as? String)
        #expect(first["replayed"] as? Bool == false && again["replayed"] as? Bool == true)
        #expect(try node.count("SELECT count(*) FROM payment") == 1)
        #expect(try node.count("SELECT count(*) FROM ticket") == 2)
        let different = try node.cashier([
            "sell", "SHOW", "--category", "MAIN", "--qty", "3", "--payment", "card", "--reference", "T-77",
            "--idempotency-key", "till-1-0001",
        ])
        #expect(different.status == 4 && different.stderr.contains("already used for a different sale"))
        let otherUser = try node.run(arguments)
        #expect(otherUser.status == 4 && otherUser.stderr.contains("used by another user"), "\(otherUser.stderr)")
        #expect(!otherUser.stdout.contains("T-77"))
    }

    @Test func holdsExpireByThemselves() throws {
        let node = try CLINode()
        let hold = try node.json(
            ["hold", "SHOW", "--category", "MAIN", "--seat", "MAIN-E-1", "MAIN-E-2", "--ttl", "1s"],
            session: node.cashierSession)
        let holdID = try #require(hold["hold_id"] as? String)
        let blocked = try node.cashier([
            "sell", "SHOW", "--category", "MAIN", "--seat", "MAIN-E-1", "--payment", "cash",
        ])
        #expect(blocked.status == 3 && blocked.stderr.contains("seat MAIN-E-1 is already held"))
        func held() throws -> Int? {
            let document = try node.json(["availability", "SHOW"], session: node.cashierSession)
            let categories = document["categories"] as? [[String: Any]]
            return categories?.first { $0["code"] as? String == "MAIN" }?["held"] as? Int
        }
        #expect(try held() == 2)
        // Its second up, the hold no longer holds its seats, with no one releasing it.
        #expect(try waitUntil(timeout: 30) { try held() == 0 } != nil, "the hold outlived its time")
        let confirm = try node.cashier(["confirm", holdID, "--payment", "cash"])
        #expect(confirm.status == 1 && confirm.stderr.contains("is expired"))
        let sale = try node.cashier(["sell", "SHOW", "--category", "MAIN", "--seat", "MAIN-E-1", "--payment", "cash"])
        #expect(sale.status == 0)
        #expect(try node.inventoryViolations().isEmpty)
    }

    @Test func sessionsAreMode0600AndNeeded() throws {
        let node = try CLINode()
        let attributes = try FileManager.default.attributesOfItem(atPath: node.cashierSession)
        #expect((attributes[.posixPermissions] as? Int) == 0o600)
        #expect(try node.cashier(["logout"]).status == 0)
        let denied = try node.cashier(["sell", "SHOW", "--category", "GA", "--qty", "1", "--payment", "cash"])
        #expect(denied.status == 5 && denied.stderr == "Error: not logged in; run 'boxoffice login NAME'\n")
        #expect(try node.cashier(["logout"]).stdout == "Not logged in.\n")
    }

    @Test func initIsHarmlessTwiceAndRefusesAnotherNodeID() throws {
        let node = SharedNode.node
        let before = try node.dump()
        let again = try node.run(["init", "--node", TestFixture.nodeID, "--admin", "root"], stdin: "root-password\n")
        #expect(
            again.status == 0
                && again.stdout == "Node TEST-1 is already initialised at \(node.database); nothing changed.\n")
        let other = try node.run(["init", "--node", "OTHER-9", "--admin", "root"], stdin: "root-password\n")
        #expect(other.status == 1 && other.stderr.contains("belongs to node TEST-1"))
        #expect(try node.dump() == before)
    }

    @Test func refundsCheckInsAndNotificationsThroughTheCLI() throws {
        let node = try CLINode()
        let sale = try node.json(
            ["sell", "SHOW", "--category", "GA", "--qty", "2", "--payment", "cash", "--customer", "kim@example.org"],
            session: node.cashierSession)
        let orderID = try #require(sale["order_id"] as? String)
        let tickets = try #require(sale["tickets"] as? [[String: Any]]).compactMap { $0["code"] as? String }
        #expect(try node.cashier(["checkin", tickets[0], "--event", "SHOW"]).status == 0)
        let twice = try node.cashier(["checkin", tickets[0], "--event", "SHOW", "--gate", "B"])
        #expect(twice.status == 1 && twice.stderr.contains("already checked in"))
        let refund = try node.json(["refund", orderID, "--reason", "one ticket unused"])
        #expect(refund["tickets"] as? [String] == [tickets[1]])
        let order = try node.json(["order", tickets[1]])
        #expect((order["order"] as? [String: Any])?["status"] as? String == "partially_refunded")
        let found = try node.cashier(["lookup", "kim@"])
        #expect(found.status == 0 && found.stdout.contains(orderID))
        let spool = node.directory.file("spool")
        let sent = try node.json(["notifications", "send", "--spool", spool])
        #expect(sent["delivered"] as? Int == 2)
        #expect(try FileManager.default.contentsOfDirectory(atPath: spool).filter { $0.hasSuffix(".eml") }.count == 2)
    }

    @Test func publishingClosingAndReopeningTakeAReasonForTheAuditLogAndCentral() throws {
        let node = try CLINode()
        for (arguments, reason) in [
            (["event", "close", "SHOW"], "sold at the door only"), (["event", "reopen", "SHOW"], "door sales done"),
            (["event", "publish", "DRAFT"], "the artist confirmed"),
        ] {
            try node.expectSuccess(arguments + ["--reason", reason])
            #expect(
                try node.count("SELECT COUNT(*) FROM audit_log WHERE detail LIKE '%\(reason)%'") == 1, "\(arguments)")
            #expect(try node.count("SELECT COUNT(*) FROM sync_outbox WHERE payload LIKE '%\(reason)%'") == 1)
        }
        try node.expectSuccess(["event", "close", "DUO"])
        #expect(try node.run(["event", "cancel", "DUO"]).status == 2, "customers are told why an event is cancelled")
    }

    @Test func statusReportsTheNodeWithoutALogin() throws {
        let node = SharedNode.node
        let status = try node.run(["status", "--json"], session: node.directory.file("nobody.session"))
        #expect(status.status == 0)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(status.stdout.utf8)) as? [String: Any])
        #expect(
            object["node_id"] as? String == "TEST-1"
                && object["schema_version"] as? Int == NodeSchema.migrator.latestVersion)
    }

    @Test func aMissingDatabaseIsNotFound() throws {
        let directory = TemporaryDirectory()
        let result = try ProcessRunner.run(
            CLINode.binary, ["events"], environment: ["BOXOFFICE_DB": directory.file("none.sqlite")])
        #expect(result.status == 6 && result.stderr.contains("no node database at"))
        #expect(!FileManager.default.fileExists(atPath: directory.file("none.sqlite")))
    }

    /// The sale commits, then stdout refuses the receipt (a full disk, a reader gone): the command
    /// says so on stderr and exits 0, because the sale happened, exactly once.
    @Test func aSaleWhoseReceiptCannotBeWrittenStillSucceedsOnce() throws {
        let node = try CLINode()
        func sell(stdout: FileHandle, key: String) throws -> (status: Int32, stderr: String) {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: CLINode.binary)
            process.arguments = [
                "sell", "SHOW", "--category", "GA", "--qty", "1", "--payment", "cash", "--json", "--idempotency-key",
                key,
            ]
            process.environment = [
                "BOXOFFICE_DB": node.database, "BOXOFFICE_SESSION_FILE": node.cashierSession,
                "HOME": node.directory.path,
            ]
            let errors = Pipe()
            process.standardOutput = stdout
            process.standardError = errors
            try process.run()
            let message = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            process.waitUntilExit()
            return (process.terminationStatus, message)
        }
        let full = try sell(stdout: try #require(FileHandle(forWritingAtPath: "/dev/full")), key: "till-1-full")
        #expect(
            full.status == 0 && full.stderr.contains("No space left on device")
                && full.stderr.contains("the command itself succeeded"),
            "\(full.stderr)")
        let pipe = Pipe()
        try pipe.fileHandleForReading.close()
        let closed = try sell(stdout: pipe.fileHandleForWriting, key: "till-1-closed")
        #expect(closed.status == 0 && closed.stderr.contains("Broken pipe"), "\(closed.stderr)")
        #expect(try node.count("SELECT count(*) FROM orders") == 2)
        #expect(
            try node.cashier([
                "sell", "SHOW", "--category", "GA", "--qty", "1", "--payment", "cash", "--idempotency-key",
                "till-1-full",
            ])
            .stdout.contains("repeated request"))
        #expect(try node.count("SELECT count(*) FROM orders") == 2)
    }

    @Test func parkedChangesAreListedForSupervisors() throws {
        let node = SharedNode.node
        let listed = try node.run(["sync", "parked"])
        #expect(listed.status == 0 && listed.stdout == "Nothing parked.\n")
        let cashier = try node.cashier(["sync", "parked", "--retry"])
        #expect(cashier.status == 5 && cashier.stderr.contains("needs a supervisor"), "\(cashier.stderr)")
    }

    /// A key used by a sale cannot confirm a hold (exit 4, as for a sale); a confirmation repeated
    /// with its own key returns its order.
    @Test func confirmHonoursIdempotencyKeys() throws {
        let node = try CLINode()
        try node.expectSuccess(
            [
                "sell", "SHOW", "--category", "GA", "--qty", "1", "--payment", "cash", "--idempotency-key",
                "till-1-0042",
            ],
            session: node.cashierSession)
        let hold = try node.json(["hold", "SHOW", "--category", "GA", "--qty", "2"], session: node.cashierSession)
        let holdID = try #require(hold["hold_id"] as? String)
        let reused = try node.cashier(["confirm", holdID, "--payment", "cash", "--idempotency-key", "till-1-0042"])
        #expect(reused.status == 4 && reused.stderr.contains("already used for a different sale"), "\(reused.stderr)")
        let first = try node.json(
            ["confirm", holdID, "--payment", "cash", "--idempotency-key", "till-1-0043"], session: node.cashierSession)
        let again = try node.json(
            ["confirm", holdID, "--payment", "cash", "--idempotency-key", "till-1-0043"], session: node.cashierSession)
        #expect(first["order_id"] as? String == again["order_id"] as? String && again["replayed"] as? Bool == true)
        #expect(try node.count("SELECT count(*) FROM orders") == 2)
    }
}
