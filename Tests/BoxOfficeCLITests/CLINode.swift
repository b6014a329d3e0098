import EdgeStore
import Foundation
import TestSupport
import Testing
import Ticketing

/// A node set up through the real CLI, as a venue would: `init`, `login`, `import`, and a
/// cashier `cal` with a password and a session file of their own.
final class CLINode: Sendable {
    let directory = TemporaryDirectory()
    let database: String
    let adminSession: String
    let cashierSession: String
    static let binary = ProcessRunner.product("boxoffice")

    /// `prepare` runs on the node's folder before anything is written there (to mount a file system on it).
    init(prepare: (String) throws -> Void = { _ in }) throws {
        try prepare(directory.path)
        database = directory.file("venue.sqlite")
        adminSession = directory.file("admin.session")
        cashierSession = directory.file("cashier.session")
        try expectSuccess(["init", "--node", TestFixture.nodeID, "--admin", "root"], stdin: "root-password\n")
        try expectSuccess(["login", "root"], stdin: "root-password\n")
        try expectSuccess(["import", TestFixture.write(into: directory)])
        try expectSuccess(["users", "passwd", "cal"], stdin: "cal-password\n")
        try expectSuccess(["login", "cal"], stdin: "cal-password\n", session: cashierSession)
    }

    /// Runs `boxoffice` against this node with the admin's session unless told otherwise; with
    /// `clock`, under `faketime -f CLOCK` (`@2030-01-01 19:30:00`: the node's clock then), as the
    /// admin logged in at that time (a login lasts hours).
    func run(_ arguments: [String], stdin: String? = nil, session: String? = nil, clock: String? = nil) throws
        -> ProcessResult
    {
        guard let clock else {
            return try ProcessRunner.run(
                Self.binary, arguments, stdin: stdin, environment: environment(session: session))
        }
        let faked = { (arguments: [String], stdin: String?, session: String) in
            try ProcessRunner.run(
                "/usr/bin/faketime", ["-f", clock, Self.binary] + arguments, stdin: stdin,
                environment: self.environment(session: session))
        }
        let session = session ?? directory.file("admin-at-\(clock.filter { $0.isNumber }).session")
        if !FileManager.default.fileExists(atPath: session) {
            let login = try faked(["login", "root"], "root-password\n", session)
            precondition(login.status == 0, "login at \(clock) failed: \(login.stderr)")
        }
        return try faked(arguments, stdin, session)
    }

    /// What `boxoffice` needs to run against this node: its database, a session (the admin's
    /// unless told otherwise) and a home of its own.
    func environment(session: String? = nil) -> [String: String] {
        ["BOXOFFICE_DB": database, "BOXOFFICE_SESSION_FILE": session ?? adminSession, "HOME": directory.path]
    }

    /// Runs as the cashier.
    func cashier(_ arguments: [String], stdin: String? = nil) throws -> ProcessResult {
        try run(arguments, stdin: stdin, session: cashierSession)
    }

    @discardableResult
    func expectSuccess(_ arguments: [String], stdin: String? = nil, session: String? = nil, clock: String? = nil)
        throws -> ProcessResult
    {
        let result = try run(arguments, stdin: stdin, session: session, clock: clock)
        #expect(result.status == 0, "boxoffice \(arguments.joined(separator: " ")) failed: \(result.stderr)")
        return result
    }

    /// The decoded `--json` output of a successful command.
    func json(_ arguments: [String], session: String? = nil, clock: String? = nil) throws -> [String: Any] {
        let result = try run(arguments + ["--json"], session: session, clock: clock)
        #expect(result.status == 0, "boxoffice \(arguments.joined(separator: " ")) failed: \(result.stderr)")
        return try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
    }

    func count(_ sql: String) throws -> Int {
        try Database(path: database).scalar(sql) ?? 0
    }

    func inventoryViolations() throws -> [String] {
        try Database(path: database).rows(InventoryAudit.sql).map { try $0.get("problem") }
    }

    func dump() throws -> String { try ProcessRunner.dump(database) }
}

/// Exit codes and stderr of many concurrent runs.
final class Outcomes: @unchecked Sendable {  // all access goes through `lock`
    private let lock = NSLock()
    private var results: [ProcessResult] = []
    func add(_ result: ProcessResult) { lock.withLock { results.append(result) } }
    var all: [ProcessResult] { lock.withLock { results } }
    func count(exit status: Int32) -> Int { all.filter { $0.status == status }.count }
}
