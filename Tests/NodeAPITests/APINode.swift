import Foundation
import TestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// A node set up as a venue would (`boxoffice init`, `import`, staff with passwords) and its
/// `venue-syncd` serving the API on a port of its own, with central unreachable: the node sells
/// on its own. Staff: `root` (admin), `sue` (supervisor), `cal` (cashier).
final class APINode: @unchecked Sendable {  // the daemon is only signalled and waited for
    let directory = TemporaryDirectory()
    let database: String
    let port: Int
    private(set) var daemon: BackgroundProcess
    private let daemonArguments: [String]
    var base: String { "http://127.0.0.1:\(port)" }
    static let helpers = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Helpers").path
    static let passwords = ["root": "root-password", "sue": "sue-password", "cal": "cal-password"]

    /// A venue with GALA: FLOOR (GA, quota `floor`) and STALLS (seated, rows A–E of 10), starting
    /// at `startsAt` (``startingIn(hours:)`` for doors that open near the test's time).
    static func reference(floor: Int, startsAt: String = "2030-12-31T20:00:00Z") -> String {
        """
        {
          "format": "venue-reference/1",
          "parameters": { "currency": "EUR", "hold_ttl": "10m", "max_tickets_per_order": 10 },
          "venues": [ { "id": "HALL", "name": "API Hall", "timezone": "Europe/Amsterdam",
                        "sections": [ { "code": "STALLS", "rows": [ { "labels": "A-E", "seats": 10 } ] } ] } ],
          "events": [
            { "id": "GALA", "venue": "HALL", "name": "Gala", "starts_at": "\(startsAt)", "status": "on_sale",
              "categories": [
                { "code": "FLOOR", "name": "Floor", "kind": "ga", "price_minor": 4500, "capacity": \(floor) },
                { "code": "STALLS", "name": "Stalls", "kind": "seated", "price_minor": 8900, "sections": ["STALLS"] } ] }
          ],
          "allocations": [
            { "node": "API-1", "event": "GALA", "category": "FLOOR", "quota": \(floor) },
            { "node": "API-1", "event": "GALA", "category": "STALLS", "seats": ["*"] }
          ],
          "staff": [ { "name": "sue", "role": "supervisor" }, { "name": "cal", "role": "cashier" } ]
        }
        """
    }

    /// The time `hours` from now, as a reference file gives an event's start: an event whose
    /// doors (open 12 h before) open soon, or are open.
    static func startingIn(hours: Double) -> String {
        ISO8601DateFormatter().string(from: Date().addingTimeInterval(hours * 3600))
    }

    /// A node made from `reference` (``reference(floor:)`` unless given) as `node`.
    init(floor: Int = 100, arguments: [String] = [], reference text: String? = nil, node: String = "API-1") throws {
        database = directory.file("venue.sqlite")
        let reference = directory.file("reference.json")
        try (text ?? Self.reference(floor: floor)).write(toFile: reference, atomically: true, encoding: .utf8)
        try Self.boxoffice(database, ["init", "--node", node, "--admin", "root"], stdin: "root-password\n")
        try Self.boxoffice(database, ["login", "root"], stdin: "root-password\n")
        try Self.boxoffice(database, ["import", reference])
        for name in ["sue", "cal"] {
            try Self.boxoffice(database, ["users", "passwd", name], stdin: Self.passwords[name]! + "\n")
        }
        port = Network.freePort()
        daemonArguments =
            ["--db", database, "--listen", "127.0.0.1:\(port)", "--interval", "1s", "--max-backoff", "2s"] + arguments
        daemon = try Self.startDaemon(daemonArguments, logDirectory: directory.path)
    }

    /// Stops the daemon (SIGTERM) and waits for it to end.
    func stopDaemon() {
        daemon.send(SIGTERM)
        daemon.wait()
    }

    /// Starts the daemon again on the same port and database.
    func startDaemon() throws {
        daemon = try Self.startDaemon(daemonArguments, logDirectory: directory.path)
    }

    private static func startDaemon(_ arguments: [String], logDirectory: String) throws -> BackgroundProcess {
        let daemon = try BackgroundProcess(
            ProcessRunner.product("venue-syncd"), arguments,
            environment: ["CENTRAL_URL": "mysql://venue_app@127.0.0.1:1/central", "CENTRAL_PASSWORD": "unused"],
            logDirectory: logDirectory)
        guard waitUntil(timeout: 30, { daemon.stderr.contains("http.listening") }) != nil else {
            throw APITestError("the daemon did not listen: \(daemon.stderr)")
        }
        return daemon
    }

    deinit {
        guard daemon.isRunning else { return }
        daemon.send(SIGTERM)
        daemon.wait()
    }

    @discardableResult
    static func boxoffice(_ database: String, _ arguments: [String], stdin: String? = nil) throws -> ProcessResult {
        let result = try ProcessRunner.run(
            ProcessRunner.product("boxoffice"), arguments, stdin: stdin,
            environment: ["BOXOFFICE_DB": database, "BOXOFFICE_SESSION_FILE": database + ".session"])
        guard result.status == 0 else { throw APITestError("boxoffice \(arguments): \(result.stderr)") }
        return result
    }

    /// `curl` against the node (from the local address `source`, when given): the status and the
    /// body as JSON (nil when it is not).
    func call(
        _ method: String, _ path: String, token: String? = nil, key: String? = nil, json: String? = nil,
        headers: [String] = [], from source: String? = nil
    ) throws -> (status: Int, body: Any?, headers: String) {
        // A body file of its own: calls may run at once.
        let bodyFile = directory.file("body-\(UUID().uuidString)")
        defer { unlink(bodyFile) }
        var arguments = ["-sS", "-X", method, "-D", "-", "-o", bodyFile, base + path]
        if let source { arguments += ["--interface", source] }
        if let token { arguments += ["-H", "Authorization: Bearer \(token)"] }
        if let key { arguments += ["-H", "Idempotency-Key: \(key)"] }
        if let json { arguments += ["-H", "Content-Type: application/json", "--data-binary", json] }
        for header in headers { arguments += ["-H", header] }
        let result = try ProcessRunner.run("/usr/bin/curl", arguments)
        let status = Int(result.stdout.split(separator: " ").dropFirst().first ?? "") ?? 0
        let data = FileManager.default.contents(atPath: bodyFile) ?? Data()
        return (status, try? JSONSerialization.jsonObject(with: data), result.stdout)
    }

    /// A bearer token for `name`.
    func signIn(_ name: String) throws -> String {
        let answer = try call(
            "POST", "/v1/sessions", json: #"{"name":"\#(name)","password":"\#(Self.passwords[name]!)"}"#)
        guard answer.status == 201, let token = (answer.body as? [String: Any])?["token"] as? String else {
            throw APITestError("sign-in of \(name): \(answer)")
        }
        return token
    }

    /// A count from the node database, read by the `sqlite3` shell.
    func count(_ sql: String) throws -> Int {
        let result = try ProcessRunner.run("/usr/bin/sqlite3", [database, sql])
        return Int(result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)) ?? -1
    }

    /// `sqlite3 .dump` of the node database, without the daemon's own bookkeeping of its sync
    /// cycles (`sync_state`, written every cycle whatever the API does).
    func dump() throws -> [Substring] {
        try ProcessRunner.run("/usr/bin/sqlite3", [database, ".dump"]).stdout.split(separator: "\n").filter {
            !$0.hasPrefix("INSERT INTO sync_state")
        }
    }

    /// The Python client helper (`Tests/Helpers/api-client.py`) under Debian's python3.
    func python(_ arguments: [String]) throws -> ProcessResult {
        try ProcessRunner.run("/usr/bin/python3", [Self.helpers + "/api-client.py"] + arguments)
    }
}

struct APITestError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
