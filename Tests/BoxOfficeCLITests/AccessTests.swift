import EdgeStore
import Foundation
import TestSupport
import Testing
import Ticketing

#if canImport(Glibc)
    import Glibc
#endif

/// Who may do what, through the real `boxoffice`: every command for every role and for no
/// session; files with personal data or secrets readable by their owner only.
@Suite struct AccessTests {
    /// A command line and the least role that may run it (nil: no session needed).
    struct Rule: Sendable, CustomStringConvertible {
        let arguments: [String]
        let stdin: String?
        let minimum: Role?
        var description: String { arguments.joined(separator: " ") }
    }

    static func rules(_ node: CLINode) -> [Rule] {
        let file = node.directory.path
        func rule(_ arguments: [String], _ minimum: Role?, stdin: String? = nil) -> Rule {
            Rule(arguments: arguments, stdin: stdin, minimum: minimum)
        }
        return [
            rule(["status"], nil), rule(["events"], nil), rule(["availability", "SHOW"], nil),
            rule(["seats", "SHOW", "--category", "MAIN"], nil), rule(["migrate", "--status"], nil),
            rule(["seats", "SHOW", "--svg", file + "/hall-\(UUID().uuidString.prefix(6)).svg"], .cashier),
            rule(["sell", "SHOW", "--category", "GA", "--qty", "1", "--payment", "cash"], .cashier),
            rule(["hold", "SHOW", "--category", "GA", "--qty", "1"], .cashier),
            rule(["confirm", "hold_NONE", "--payment", "cash"], .cashier), rule(["release", "hold_NONE"], .cashier),
            rule(["order", "ord_NONE"], .cashier), rule(["lookup", "nobody@example.org"], .cashier),
            rule(["checkin", "AAAA-BBBB-CCCC-DDDD"], .cashier),
            rule(["refund", "ord_NONE", "--reason", "test"], .supervisor),
            rule(["event", "close", "DRAFT"], .supervisor),
            rule(["import", TestFixture.write(into: node.directory)], .supervisor),
            rule(["users", "list"], .supervisor),
            rule(["notifications", "list"], .supervisor),
            rule(["notifications", "send", "--spool", file + "/spool"], .supervisor),
            rule(["sync", "parked"], .supervisor), rule(["sync", "parked", "--retry"], .supervisor),
            rule(["sync", "rejoin", "0b7e6a52-0000-4000-8000-00000000c0de"], .admin),
            rule(["users", "add", "newbie", "--role", "cashier"], .admin, stdin: "newbie-password\n"),
            rule(["users", "role", "dora", "--role", "cashier"], .admin),
            rule(["users", "passwd", "dora"], .admin, stdin: "dora-password-2\n"),
            rule(["users", "disable", "nobody"], .admin), rule(["users", "enable", "nobody"], .admin),
            rule(["backup", file + "/backup-\(UUID().uuidString.prefix(6)).sqlite"], .admin),
            rule(["drawer", "open", "--float", "0"], .cashier), rule(["report", "shift"], .cashier),
            rule(["drawer", "close", "--counted", "0"], .cashier), rule(["drawer", "status"], .cashier),
            rule(["report", "day"], .supervisor), rule(["smoke"], .supervisor), rule(["health"], nil),
            rule(["maintenance", "status"], nil), rule(["maintenance", "on", "--reason", "test"], .admin),
            rule(["maintenance", "off"], .admin),
            rule(["migrate"], .admin), rule(["restore", file + "/snapshot.sqlite"], .admin), rule(["logout"], nil),
        ]
    }

    @Test(arguments: [Role?.none, .cashier, .supervisor, .admin])
    func everyCommandChecksTheRole(role: Role?) throws {
        let node = try CLINode()
        try node.expectSuccess(["users", "add", "dora", "--role", "cashier"], stdin: "dora-password\n")
        try node.expectSuccess(["users", "passwd", "sue"], stdin: "sue-password\n")
        let supervisor = node.directory.file("supervisor.session")
        try node.expectSuccess(["login", "sue"], stdin: "sue-password\n", session: supervisor)
        try Database(path: node.database).backup(to: node.directory.file("snapshot.sqlite"))
        let session =
            switch role {
            case .none: node.directory.file("nobody.session")
            case .cashier: node.cashierSession
            case .supervisor: supervisor
            case .admin: node.adminSession
            }
        for rule in Self.rules(node) {
            let result = try node.run(rule.arguments, stdin: rule.stdin, session: session)
            let allowed = rule.minimum.map { minimum in role.map { $0 >= minimum } ?? false } ?? true
            if allowed {
                #expect(result.status != 5, "\(role?.rawValue ?? "no session") may run '\(rule)': \(result.stderr)")
            } else {
                #expect(
                    result.status == 5 && result.stderr.hasPrefix("Error: "),
                    "\(role?.rawValue ?? "no session") must not run '\(rule)'")
            }
        }
    }

    /// Under the usual umask (022) every file holding personal data or secrets is created 0600
    /// and its folders 0700.
    @Test func personalDataIsReadableByItsOwnerOnly() throws {
        let previous = umask(0o022)
        defer { umask(previous) }
        let node = try CLINode()
        let open = try Database(path: node.database)  // keeps the -wal and -shm files while the commands run
        func mode(_ path: String) -> Int? {
            (try? FileManager.default.attributesOfItem(atPath: path))?[.posixPermissions] as? Int
        }
        try node.expectSuccess([
            "sell", "SHOW", "--category", "GA", "--qty", "1", "--payment", "cash", "--customer", "kim@example.org",
        ])
        let backup = node.directory.file("backup.sqlite")
        let spool = node.directory.file("spool")
        try node.expectSuccess(["backup", backup])
        try node.expectSuccess(["notifications", "send", "--spool", spool])
        for file in [node.database, node.database + "-wal", node.database + "-shm", backup, node.adminSession] {
            #expect(mode(file) == 0o600, "\(file) is \(String(mode(file) ?? 0, radix: 8))")
        }
        #expect(mode(spool) == 0o700)
        withExtendedLifetime(open) {}
        let emails = try FileManager.default.contentsOfDirectory(atPath: spool)
        #expect(!emails.isEmpty && emails.allSatisfy { mode(spool + "/" + $0) == 0o600 })
        chmod(node.database, 0o644)
        try node.expectSuccess(["status"])
        #expect(mode(node.database) == 0o600, "an older database is tightened when opened")
    }

    /// A session file other users could read may have given the token away: the session is
    /// ended and the command refused.
    @Test func aSessionFileOthersCanReadIsRefusedAndEnded() throws {
        let node = try CLINode()
        let copy = node.directory.file("copy.session")
        try FileManager.default.copyItem(atPath: node.cashierSession, toPath: copy)
        chmod(node.cashierSession, 0o644)
        let refused = try node.cashier(["sell", "SHOW", "--category", "GA", "--qty", "1", "--payment", "cash"])
        #expect(refused.status == 5 && refused.stderr.contains("could be read by other users"), "\(refused.stderr)")
        #expect(!FileManager.default.fileExists(atPath: node.cashierSession))
        let stolen = try node.run(["order", "ord_NONE"], session: copy)
        #expect(stolen.status == 5, "the session is ended, copies included")
    }
}
