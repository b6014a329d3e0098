import EdgeStore
import Foundation
import TestSupport
import Testing

@testable import Ticketing

@Suite struct ImportTests {
    @Test func importingTwiceChangesNothing() throws {
        let h = try NodeHarness()
        let fixture = TestFixture.write(into: h.directory)
        let before = try ProcessRunner.dump(h.path)
        let summary = try h.node.catalog.importReference(file: fixture, by: h.admin)
        #expect(summary.isNoOp)
        #expect(summary.seats.unchanged == 62 && summary.events.unchanged == 3)
        #expect(try ProcessRunner.dump(h.path) == before)
    }

    @Test func theFixtureBuildsTheSeatMapAndOnlyThisNodesAllocations() throws {
        let h = try NodeHarness()
        #expect(try h.count("SELECT count(*) FROM seat") == 62)
        #expect(try h.count("SELECT quota FROM allocation WHERE event_id = 'SHOW' AND category_code = 'SIDE'") == 6)
        #expect(
            try h.count(
                "SELECT count(*) FROM event_seat WHERE event_id = 'SHOW' AND category_code = 'SIDE' AND status = 'unallocated'"
            ) == 6)
        #expect(try h.node.settings().maxTicketsPerOrder == 10)
        #expect(try h.node.users.list(by: h.admin).map(\.name) == ["cal", "root", "sue"])
    }

    /// The settings a sale reads are kept between sales, and read again once this connection
    /// imported new ones or another process changed them.
    @Test func keptSettingsFollowAnImportAndAnotherProcess() throws {
        let h = try NodeHarness()
        #expect(try h.node.settings().maxTicketsPerOrder == 10)
        let file = h.directory.file("edited.json")
        try TestFixture.referenceJSON
            .replacingOccurrences(of: "\"max_tickets_per_order\": 10", with: "\"max_tickets_per_order\": 4")
            .write(toFile: file, atomically: true, encoding: .utf8)
        _ = try h.node.catalog.importReference(file: file, by: h.admin)
        #expect(try h.node.settings().maxTicketsPerOrder == 4)
        #expect(throws: TicketingError.self) { try h.sell(selection: .quantity(5)) }
        try Database(path: h.path).execute(
            "UPDATE node_setting SET value = '6' WHERE key = 'max_tickets_per_order'")
        #expect(try h.node.settings().maxTicketsPerOrder == 6)
        _ = try h.sell(selection: .quantity(5))
    }

    @Test func aChangedFileUpdatesWhatChangedAndKeepsSales() throws {
        let h = try NodeHarness()
        _ = try h.sell(selection: .quantity(5))
        let edited = TestFixture.referenceJSON
            .replacingOccurrences(of: "\"Test Show\"", with: "\"Test Show (matinee)\"")
            .replacingOccurrences(
                of: "\"category\": \"GA\", \"quota\": 100", with: "\"category\": \"GA\", \"quota\": 80")
        let file = h.directory.file("edited.json")
        try edited.write(toFile: file, atomically: true, encoding: .utf8)
        let summary = try h.node.catalog.importReference(file: file, by: h.admin)
        #expect(summary.events.updated == 1 && summary.allocations.updated == 1)
        #expect(try h.count("SELECT quota FROM allocation WHERE event_id = 'SHOW' AND category_code = 'GA'") == 80)
        #expect(try h.count("SELECT sold FROM allocation WHERE event_id = 'SHOW' AND category_code = 'GA'") == 5)
        #expect(try h.inventoryViolations().isEmpty)
    }

    @Test func anAllocationBelowWhatIsSoldIsRefusedAndNothingIsWritten() throws {
        let h = try NodeHarness()
        _ = try h.sell(selection: .quantity(10))
        let file = h.directory.file("shrunk.json")
        try TestFixture.referenceJSON.replacingOccurrences(
            of: "\"category\": \"GA\", \"quota\": 100", with: "\"category\": \"GA\", \"quota\": 5"
        )
        .replacingOccurrences(of: "\"Test Show\"", with: "\"Renamed\"")
        .write(toFile: file, atomically: true, encoding: .utf8)
        let before = try ProcessRunner.dump(h.path)
        #expect(throws: TicketingError.self) { try h.node.catalog.importReference(file: file, by: h.admin) }
        #expect(try ProcessRunner.dump(h.path) == before)
    }

    @Test(arguments: [
        ("{", "is not valid"),
        (
            "{\"format\": \"venue-reference/9\", \"venues\": [], \"events\": [], \"allocations\": [], \"staff\": []}",
            "unknown reference format"
        ),
        ("{\"format\": \"venue-reference/1\", \"venues\": [], \"events\": []}", "missing 'allocations'"),
    ])
    func badFilesAreRefusedClearly(content: String, message: String) throws {
        let h = try NodeHarness()
        let file = h.directory.file("bad.json")
        try content.write(toFile: file, atomically: true, encoding: .utf8)
        do {
            _ = try h.node.catalog.importReference(file: file, by: h.admin)
            Issue.record("expected a refusal")
        } catch let error as TicketingError {
            #expect(error.message.contains(message), "\(error.message)")
        }
        #expect(throws: TicketingError.self) {
            try h.node.catalog.importReference(file: h.directory.file("missing.json"), by: h.admin)
        }
        #expect(throws: TicketingError.self) { try h.node.catalog.importReference(file: file, by: h.cashier) }
    }
}

@Suite struct UsersTests {
    @Test func loginOpensASessionThatAuthenticatesUntilItExpires() throws {
        let h = try NodeHarness()
        let session = try h.node.users.login(name: "root", password: "root-password")
        #expect(session.role == .admin && session.token.count == 64)
        let signedIn = try h.node.users.authenticate(token: session.token)
        #expect(
            signedIn.id == h.admin.id && signedIn.role == .admin
                && signedIn.sessionHash == Users.tokenHash(session.token))
        #expect(try h.count("SELECT count(*) FROM session WHERE token_hash = ?", [session.token]) == 0)
        h.clock.advance(seconds: 12 * 3600)
        #expect(throws: TicketingError.notLoggedIn("your session has expired; run 'boxoffice login NAME'")) {
            try h.node.users.authenticate(token: session.token)
        }
    }

    /// A session lives its time on the boot clock, as a hold does: a step of the wall clock
    /// neither ends it early nor stretches it; after the machine restarts, the wall clock decides.
    @Test func aSessionLivesItsTimeWhateverStepsTheWallClockMakes() throws {
        let h = try NodeHarness()
        let expired = TicketingError.notLoggedIn("your session has expired; run 'boxoffice login NAME'")
        h.clock.step(seconds: 30 * 86400)
        let openedAhead = try h.node.users.login(name: "root", password: "root-password")
        h.clock.step(seconds: -30 * 86400)
        h.clock.advance(seconds: 12 * 3600)
        #expect(throws: expired, "a session opened while the clock was ahead outlived its 12 hours") {
            try h.node.users.authenticate(token: openedAhead.token)
        }

        h.clock.step(seconds: -2 * 86400)
        let openedBehind = try h.node.users.login(name: "root", password: "root-password")
        h.clock.step(seconds: 2 * 86400)
        #expect(try h.node.users.authenticate(token: openedBehind.token).name == "root", "the step forward ended it")
        h.clock.advance(seconds: 12 * 3600 - 60)
        #expect(try h.node.users.authenticate(token: openedBehind.token).name == "root")
        h.clock.advance(seconds: 60)
        #expect(throws: expired) { try h.node.users.authenticate(token: openedBehind.token) }

        let beforeRestart = try h.node.users.login(name: "root", password: "root-password")
        h.clock.restart()
        h.clock.advance(seconds: 12 * 3600 - 60)
        #expect(try h.node.users.authenticate(token: beforeRestart.token).name == "root")
        h.clock.advance(seconds: 60)
        #expect(throws: expired) { try h.node.users.authenticate(token: beforeRestart.token) }
    }

    /// A wrong password and an unknown name get the same answer, and each is counted the same way
    /// (``LoginThrottle``): nothing else is written.
    @Test func wrongPasswordsAndUnknownUsersLookTheSameAndAreCountedAlike() throws {
        let h = try NodeHarness()
        func withoutFailures(_ dump: String) -> [Substring] {
            dump.split(separator: "\n").filter {
                !$0.hasPrefix("INSERT INTO login_failure") && !$0.contains("'login.failed'")
            }
        }
        let before = withoutFailures(try ProcessRunner.dump(h.path))
        #expect(throws: TicketingError.notLoggedIn("wrong user name or password")) {
            try h.node.users.login(name: "root", password: "nope-nope")
        }
        #expect(throws: TicketingError.notLoggedIn("wrong user name or password")) {
            try h.node.users.login(name: "ghost", password: "nope-nope")
        }
        #expect(throws: TicketingError.notLoggedIn("wrong user name or password")) {
            try h.node.users.login(name: "cal", password: "")
        }
        #expect(withoutFailures(try ProcessRunner.dump(h.path)) == before)
        let counted = try h.node.database.rows("SELECT name, failures FROM login_failure ORDER BY name").map {
            "\(try $0.get("name", as: String.self))=\(try $0.get("failures", as: Int.self))"
        }
        #expect(counted == ["cal=1", "ghost=1", "root=1"])
    }

    /// Five failures in a row slow a name down; ten lock it for a while (whatever the password
    /// then), audit-logged, until an admin unlocks it; a success clears the count.
    @Test func failedLoginsSlowDownThenLockUntilAnAdminUnlocks() throws {
        let h = try NodeHarness()
        let clock = h.clock
        try h.node.users.setPassword(name: "cal", password: "cal-password", by: h.admin)
        for _ in 0..<5 {
            #expect(throws: TicketingError.notLoggedIn("wrong user name or password")) {
                try h.node.users.login(name: "cal", password: "wrong-password")
            }
        }
        #expect(
            throws: LoginRefusal(
                reason: .throttled, message: "5 failed logins for cal: try again in 1 s", retryAfterSeconds: 1)
        ) {
            try h.node.users.login(name: "cal", password: "cal-password")
        }
        for _ in 5..<10 {
            clock.advance(seconds: 61)
            #expect(throws: TicketingError.notLoggedIn("wrong user name or password")) {
                try h.node.users.login(name: "cal", password: "wrong-password")
            }
        }
        clock.advance(seconds: 61)
        do {
            _ = try h.node.users.login(name: "cal", password: "cal-password")
            Issue.record("a locked account signed in")
        } catch let error as LoginRefusal {
            #expect(error.message.contains("is locked until") && error.message.contains("boxoffice users unlock cal"))
            #expect(error.reason == .locked && error.retryAfterSeconds == 15 * 60 - 61)
        }
        #expect(try h.node.database.scalar("SELECT count(*) FROM audit_log WHERE action = 'staff.locked'") == 1)
        #expect(throws: TicketingError.self) { try h.node.users.unlock(name: "cal", by: h.supervisor) }
        _ = try h.node.users.unlock(name: "cal", by: h.admin)
        #expect(try h.node.database.scalar("SELECT count(*) FROM audit_log WHERE action = 'staff.unlocked'") == 1)
        _ = try h.node.users.login(name: "cal", password: "cal-password")
        #expect(try h.node.database.scalar("SELECT count(*) FROM login_failure") == 0)
    }

    @Test func adminsManageUsersAndDisablingEndsSessions() throws {
        let h = try NodeHarness()
        #expect(throws: TicketingError.self) {
            try h.node.users.add(name: "dan", role: .cashier, password: "password-1", by: h.supervisor)
        }
        _ = try h.node.users.add(name: "dan", role: .cashier, password: "password-1", by: h.admin)
        #expect(throws: TicketingError.self) {
            try h.node.users.add(name: "dan", role: .cashier, password: "password-1", by: h.admin)
        }
        let session = try h.node.users.login(name: "dan", password: "password-1")
        _ = try h.node.users.disable(name: "dan", by: h.admin)
        #expect(throws: TicketingError.self) { try h.node.users.authenticate(token: session.token) }
        #expect(throws: TicketingError.notPermitted("the account dan is disabled")) {
            try h.node.users.login(name: "dan", password: "password-1")
        }
        #expect(throws: TicketingError.self) { try h.node.users.disable(name: "root", by: h.admin) }
        try h.node.users.setPassword(name: "cal", password: "cal-password", by: h.admin)
        #expect(try h.node.users.login(name: "cal", password: "cal-password").role == .cashier)
    }

    @Test(arguments: ["x", "Capital", "with space", "a'; DROP TABLE staff; --", String(repeating: "a", count: 10_000)])
    func badUserNamesAreRefused(name: String) throws {
        let h = try NodeHarness()
        #expect(throws: TicketingError.self) {
            try h.node.users.add(name: name, role: .cashier, password: "password-1", by: h.admin)
        }
    }

    @Test func shortPasswordsAreRefused() throws {
        let h = try NodeHarness()
        #expect(throws: TicketingError.invalidInput("password must have at least 8 characters")) {
            try h.node.users.add(name: "eve", role: .cashier, password: "short", by: h.admin)
        }
    }

    /// A password change ends the user's other sessions (a copied session file stops working);
    /// changing your own keeps the session you did it from; an admin's reset ends them all.
    @Test func aPasswordChangeEndsTheOtherSessions() throws {
        let h = try NodeHarness()
        try h.node.users.setPassword(name: "cal", password: "cal-password", by: h.admin)
        let here = try h.node.users.login(name: "cal", password: "cal-password")
        let copy = try h.node.users.login(name: "cal", password: "cal-password")
        let cal = try h.node.users.authenticate(token: here.token)
        try h.node.users.setPassword(name: "cal", password: "new-cal-password", by: cal)
        #expect(throws: TicketingError.self) { try h.node.users.authenticate(token: copy.token) }
        #expect(try h.node.users.authenticate(token: here.token).name == "cal")
        try h.node.users.setPassword(name: "cal", password: "reset-by-admin", by: h.admin)
        #expect(throws: TicketingError.self) { try h.node.users.authenticate(token: here.token) }
        #expect(try h.count("SELECT count(*) FROM audit_log WHERE action = 'user.password_set'") == 3)
    }

    @Test func rolesChangeByAnAdminOnlyAndTheLastAdminStays() throws {
        let h = try NodeHarness()
        #expect(throws: TicketingError.self) { try h.node.users.changeRole(name: "sue", to: .admin, by: h.supervisor) }
        #expect(
            throws: TicketingError.rejected(
                code: "last_admin", message: "root is the last admin; make another admin first")
        ) {
            try h.node.users.changeRole(name: "root", to: .cashier, by: h.admin)
        }
        #expect(try h.node.users.changeRole(name: "sue", to: .admin, by: h.admin).role == .admin)
        #expect(try h.node.users.changeRole(name: "root", to: .cashier, by: h.admin).role == .cashier)
        #expect(try h.count("SELECT count(*) FROM audit_log WHERE action = 'user.role_changed'") == 2)
    }

    /// The reproduction: a supervisor imports a staff section that makes them admin and demotes
    /// the admin. Refused, nothing changed; a supervisor may add cashiers; an admin may change
    /// roles, audited as user.*.
    @Test func importingStaffFollowsTheUsersRules() throws {
        let h = try NodeHarness()
        func file(_ staff: String) throws -> String {
            let path = h.directory.file("staff-\(UUID().uuidString.prefix(6)).json")
            try "{\"format\":\"venue-reference/1\",\"venues\":[],\"events\":[],\"allocations\":[],\"staff\":[\(staff)]}"
                .write(toFile: path, atomically: true, encoding: .utf8)
            return path
        }
        let escalation = try file("{\"name\":\"sue\",\"role\":\"admin\"},{\"name\":\"root\",\"role\":\"cashier\"}")
        let before = try ProcessRunner.dump(h.path)
        #expect(throws: TicketingError.self) { try h.node.catalog.importReference(file: escalation, by: h.supervisor) }
        #expect(throws: TicketingError.self) {
            try h.node.catalog.importReference(
                file: try file("{\"name\":\"ana\",\"role\":\"supervisor\"}"), by: h.supervisor)
        }
        #expect(try ProcessRunner.dump(h.path) == before)
        let added = try h.node.catalog.importReference(
            file: try file("{\"name\":\"ana\",\"role\":\"cashier\"}"), by: h.supervisor)
        #expect(added.staff.added == 1)
        #expect(throws: TicketingError.self, "not even an admin may demote the last admin") {
            try h.node.catalog.importReference(file: try file("{\"name\":\"root\",\"role\":\"cashier\"}"), by: h.admin)
        }
        let promoted = try h.node.catalog.importReference(
            file: try file("{\"name\":\"sue\",\"role\":\"admin\"}"), by: h.admin)
        #expect(promoted.staff.updated == 1)
        #expect(
            try h.count("SELECT count(*) FROM audit_log WHERE action IN ('user.added', 'user.role_changed') AND at > 0")
                >= 2)
        #expect(try h.node.users.list(by: h.admin).first { $0.name == "sue" }?.role == .admin)
    }
}
