import Central
import Foundation
import TestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// `venue-syncd`'s listener and what else touches the same database: no route or command may
/// drop the daemon's SQLite locks, slow clients must not turn probes away. (Files deleted under
/// the daemon: `DetachedStoreDaemonTests`.)
@Suite struct DaemonListenerTests {
    /// A venue with GALA (FLOOR, GA; STALLS, seated) for NODE-A, as the API's walk through every
    /// operation (`Tests/Helpers/api-client.py conformance`) expects it: its doors open within the
    /// hour (not yet: a ticket checked in without its event is refused; soon: a scanner's reads
    /// dated then are taken).
    static var gala: String {
        let start = ISO8601DateFormatter().string(from: Date().addingTimeInterval(12.5 * 3600))
        return galaTemplate.replacingOccurrences(of: "2030-12-31T20:00:00Z", with: start)
    }

    static let galaTemplate = """
        {
          "format": "venue-reference/1",
          "parameters": { "currency": "EUR", "hold_ttl": "10m", "max_tickets_per_order": 10 },
          "venues": [ { "id": "HALL", "name": "API Hall", "timezone": "Europe/Amsterdam",
                        "sections": [ { "code": "STALLS", "rows": [ { "labels": "A-E", "seats": 10 } ] } ] } ],
          "events": [
            { "id": "GALA", "venue": "HALL", "name": "Gala", "starts_at": "2030-12-31T20:00:00Z", "status": "on_sale",
              "categories": [
                { "code": "FLOOR", "name": "Floor", "kind": "ga", "price_minor": 4500, "capacity": 100 },
                { "code": "STALLS", "name": "Stalls", "kind": "seated", "price_minor": 8900, "sections": ["STALLS"] } ] }
          ],
          "allocations": [
            { "node": "NODE-A", "event": "GALA", "category": "FLOOR", "quota": 100 },
            { "node": "NODE-A", "event": "GALA", "category": "STALLS", "seats": ["*"] }
          ],
          "staff": []
        }
        """

    static let sellGala = ["sell", "GALA", "--category", "FLOOR", "--qty", "1", "--payment", "cash", "--json"]

    /// Every path the daemon answers: health and metrics (GET and HEAD), the pages, the OpenAPI
    /// document and every operation of the API (sales, holds, refunds, check-ins, the drawer…);
    /// then `boxoffice` commands (`smoke` and `migrate --status` among them), then a `sqlite3`
    /// reader. The daemon still holds its POSIX locks on the database and its `-shm` (a `close`
    /// of any descriptor of either would have dropped them, and the reader, thinking itself the
    /// last connection, would then have checkpointed and deleted the WAL under the daemon), and
    /// the next sale reaches central.
    @Test func everyRouteLeavesTheDaemonItsLocksAndTheNextSaleReachesCentral() throws {
        let world = try SyncWorld(importFixture: false)
        let reference = world.directory.file("gala.json")
        try Self.gala.write(toFile: reference, atomically: true, encoding: .utf8)
        _ = try CentralCatalog(connection: world.central).importReference(file: reference, now: world.clock.now())
        let path = try world.makeNodeFile("NODE-A")
        let port = Network.freePort()
        let daemon = try world.startDaemon(path: path, ["--interval", "200ms", "--listen", "127.0.0.1:\(port)"])
        #expect(waitUntil(timeout: 20) { daemon.stderr.contains("pull.applied") } != nil, "\(daemon.stderr)")
        #expect(try world.boxoffice(path: path, Self.sellGala).status == 0)
        #expect(waitUntil(timeout: 20) { (try? world.centralOrders(node: "NODE-A").count) == 1 } != nil)
        let held = (database: Self.locks(of: daemon.pid, on: path), shm: Self.locks(of: daemon.pid, on: path + "-shm"))
        #expect(
            held.database > 0 && held.shm > 0,
            "the daemon holds no lock on its database: \(held) \(daemon.stderr.suffix(3000))")
        let paths = [
            "/health", "/actuator/health", "/health/liveness", "/actuator/health/liveness", "/health/readiness",
            "/actuator/health/readiness", "/metrics", "/actuator/prometheus", "/actuator", "/actuator/health/db",
            "/actuator/health/diskSpace", "/actuator/health/sales", "/actuator/health/central",
            "/actuator/health/outbox", "/actuator/health/sync", "/actuator/health/syncLoop",
            "/actuator/health/nothing", "/nothing", "/", "/till", "/door", "/assets/till.js", "/assets/style.css",
            "/openapi.json", "/v1/health", "/v1/nothing",
        ]
        for path in paths {
            for method in ["GET", "HEAD"] {
                #expect(Network.get(port: port, path: path, method: method) != nil, "\(method) \(path)")
            }
        }
        let helpers = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Helpers").path
        let document = URL(fileURLWithPath: helpers).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("docs/api/openapi.json").path
        let walk = try ProcessRunner.run(
            "/usr/bin/python3",
            [helpers + "/api-client.py", "conformance", "http://127.0.0.1:\(port)", document, "root", "root-password"])
        #expect(walk.status == 0 && walk.stdout.hasPrefix("ok "), "\(walk.stdout)\(walk.stderr)")
        for command in [
            ["health"], ["status"], ["backup", world.directory.file("copy.sqlite")], ["smoke"],
            ["migrate", "--status"],
        ] {
            let result = try world.boxoffice(path: path, command)
            #expect(result.status == 0, "\(command): \(result.stderr)")
        }
        let now = (database: Self.locks(of: daemon.pid, on: path), shm: Self.locks(of: daemon.pid, on: path + "-shm"))
        #expect(now == held, "a route or command dropped the daemon's locks: \(daemon.stderr.suffix(3000))")
        let reader = try ProcessRunner.run("/usr/bin/sqlite3", [path, "SELECT count(*) > 1 FROM orders"])
        #expect(reader.stdout == "1\n", "\(reader.stderr)")
        #expect(FileManager.default.fileExists(atPath: path + "-wal"), "the reader deleted the daemon's WAL")
        let last = try world.boxoffice(path: path, Self.sellGala)
        let order = try #require(
            (try? JSONSerialization.jsonObject(with: Data(last.stdout.utf8)) as? [String: Any])?["order_id"] as? String,
            "\(last.stdout)\(last.stderr)")
        #expect(
            waitUntil(timeout: 20) { (try? world.centralOrders(node: "NODE-A"))?[order] != nil } != nil,
            "the sale after the reader never reached central: \(daemon.stderr)")
        #expect(Network.get(port: port, path: "/health/readiness")?.status == 200)
        daemon.send(SIGTERM)
        #expect(daemon.wait() == 0)
    }

    /// 200 clients from 50 addresses, each sending a request a byte every 5 s, hold the daemon's
    /// connections but none of its workers: every probe the way monitoring sends it (`curl -f
    /// --max-time 1`) is answered 200.
    @Test func probesAreAnsweredWhileTwoHundredSlowClientsAreConnected() throws {
        let world = try SyncWorld()
        let path = try world.makeNodeFile("NODE-A")
        let port = Network.freePort()
        let daemon = try world.startDaemon(path: path, ["--interval", "200ms", "--http", "127.0.0.1:\(port)"])
        #expect(waitUntil(timeout: 20) { daemon.stderr.contains("pull.applied") } != nil, "\(daemon.stderr)")
        let helpers = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Helpers").path
        let slow = try BackgroundProcess(
            "/usr/bin/env", ["python3", helpers + "/slow-clients.py", String(port), "200", "50", "5"],
            logDirectory: world.directory.path)
        #expect(waitUntil(timeout: 30) { slow.stderr.contains("connected 200") } != nil, "\(slow.stderr)")
        for probe in Array(repeating: "/health", count: 15) + Array(repeating: "/health/liveness", count: 15) {
            let answer = try ProcessRunner.run(
                "/usr/bin/curl",
                [
                    "-sS", "-f", "--max-time", "1", "-o", "/dev/null", "-w", "%{http_code}",
                    "http://127.0.0.1:\(port)\(probe)",
                ])
            #expect(answer.stdout == "200", "\(probe): \(answer.stderr)")
        }
        daemon.send(SIGTERM)
        #expect(daemon.wait() == 0)
        withExtendedLifetime(slow) {}
    }

    /// 64 slow clients on this machine's own address (the most one address may hold) and no
    /// trusted proxy, as the README starts the daemon: local probes are still answered 200, on
    /// the connections kept for probes; anything else from that address is told 429 with the
    /// error object.
    @Test func probesFromAnAddressAtItsConnectionLimitAreAnswered() throws {
        let world = try SyncWorld()
        let path = try world.makeNodeFile("NODE-A")
        let port = Network.freePort()
        let daemon = try world.startDaemon(path: path, ["--interval", "200ms", "--listen", "127.0.0.1:\(port)"])
        #expect(waitUntil(timeout: 20) { daemon.stderr.contains("pull.applied") } != nil, "\(daemon.stderr)")
        let helpers = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Helpers").path
        let slow = try BackgroundProcess(
            "/usr/bin/env", ["python3", helpers + "/slow-clients.py", String(port), "64", "1", "5", "1"],
            logDirectory: world.directory.path)
        #expect(waitUntil(timeout: 30) { slow.stderr.contains("connected 64") } != nil, "\(slow.stderr)")
        for probe in ["/health/liveness", "/health/readiness", "/actuator/health", "/health"] {
            for _ in 0..<5 {
                let answer = try ProcessRunner.run(
                    "/usr/bin/curl",
                    ["-sS", "--max-time", "10", "-w", "\n%{http_code}", "http://127.0.0.1:\(port)\(probe)"])
                #expect(answer.stdout.hasSuffix("\n200"), "\(probe): \(answer.stdout)\(answer.stderr)")
                #expect(answer.stdout.hasPrefix(#"{"components":"#), "\(probe): \(answer.stdout)")
            }
        }
        let api = try ProcessRunner.run(
            "/usr/bin/curl", ["-sS", "-w", "\n%{http_code}", "http://127.0.0.1:\(port)/v1/events"])
        #expect(
            api.stdout.hasSuffix("\n429") && api.stdout.contains(#""code":"too_many_connections_from_client""#),
            "\(api.stdout)\(api.stderr)")
        daemon.send(SIGTERM)
        #expect(daemon.wait() == 0)
        withExtendedLifetime(slow) {}
    }

    /// Components' details (file paths, central's host and last error) are shown to this machine
    /// only, as Spring Boot's `show-details`; a client behind a trusted proxy counts as where the
    /// proxy says it is, and `X-Forwarded-For` from anyone else counts for nothing.
    @Test func healthDetailsAreForThisMachineUnlessConfigured() throws {
        let world = try SyncWorld()
        let path = try world.makeNodeFile("NODE-A")
        let port = Network.freePort()
        let proxied = try world.startDaemon(
            path: path, ["--interval", "200ms", "--http", "127.0.0.1:\(port)", "--trusted-proxies", "127.0.0.1"])
        #expect(waitUntil(timeout: 20) { proxied.stderr.contains("pull.applied") } != nil, "\(proxied.stderr)")
        func document(_ path: String, forwardedFor: String? = nil) throws -> [String: Any] {
            let headers = forwardedFor.map { ["-H", "X-Forwarded-For: 10.0.0.1, \($0)"] } ?? []
            let answer = try ProcessRunner.run("/usr/bin/curl", ["-sS"] + headers + ["http://127.0.0.1:\(port)\(path)"])
            return try #require(try JSONSerialization.jsonObject(with: Data(answer.stdout.utf8)) as? [String: Any])
        }
        func dbDetails(_ document: [String: Any]) -> Any? {
            ((document["components"] as? [String: Any])?["db"] as? [String: Any])?["details"]
        }
        #expect(dbDetails(try document("/actuator/health")) != nil)
        #expect(dbDetails(try document("/actuator/health", forwardedFor: "127.0.0.1")) != nil)
        let remote = try document("/actuator/health", forwardedFor: "203.0.113.7")
        #expect(remote["status"] as? String == "UP")
        #expect(dbDetails(remote) == nil, "details shown to a client elsewhere: \(remote)")
        #expect(try document("/actuator/health/central", forwardedFor: "203.0.113.7")["details"] == nil)
        let component = try document("/actuator/health/db")
        #expect(component["status"] as? String == "UP")
        #expect((component["details"] as? [String: Any])?["nodeId"] as? String == "NODE-A")
        #expect(Network.get(port: port, path: "/actuator/health/nothing")?.status == 404)
        let links = try document("/actuator")["_links"] as? [String: Any]
        #expect(Set(links?.keys.map { $0 } ?? []) == ["self", "health", "health-path", "prometheus"])
        proxied.send(SIGTERM)
        #expect(proxied.wait() == 0)

        let untrusted = try world.startDaemon(
            path: path, ["--interval", "200ms", "--http", "127.0.0.1:\(port)", "--health-details", "never"])
        #expect(waitUntil(timeout: 20) { untrusted.stderr.contains("http.listening") } != nil)
        #expect(dbDetails(try document("/actuator/health")) == nil, "details shown with --health-details never")
        untrusted.send(SIGTERM)
        #expect(untrusted.wait() == 0)
        let loopback = try world.startDaemon(path: path, ["--interval", "200ms", "--http", "127.0.0.1:\(port)"])
        #expect(waitUntil(timeout: 20) { loopback.stderr.contains("http.listening") } != nil)
        #expect(
            dbDetails(try document("/actuator/health", forwardedFor: "203.0.113.7")) != nil,
            "X-Forwarded-For believed from a peer that is not a trusted proxy")
        loopback.send(SIGTERM)
        #expect(loopback.wait() == 0)
    }

    /// A daemon behind a trusted proxy (127.0.0.1) that has reached central, and what its
    /// listener answers a GET of `path` with these header fields.
    private final class ProxiedDaemon {
        let world: SyncWorld
        let daemon: BackgroundProcess
        let port = Network.freePort()

        init() throws {
            world = try SyncWorld()
            let path = try world.makeNodeFile("NODE-A")
            daemon = try world.startDaemon(
                path: path, ["--interval", "200ms", "--http", "127.0.0.1:\(port)", "--trusted-proxies", "127.0.0.1"])
            #expect(waitUntil(timeout: 20) { self.daemon.stderr.contains("pull.applied") } != nil, "\(daemon.stderr)")
        }

        func get(_ path: String, _ headers: [String] = []) throws -> String {
            try ProcessRunner.run(
                "/usr/bin/curl", ["-sS"] + headers.flatMap { ["-H", $0] } + ["http://127.0.0.1:\(port)\(path)"]
            ).stdout
        }

        /// True when `/actuator/health` shows the `db` component's details.
        func detailed(_ headers: [String]) throws -> Bool {
            let document = try JSONSerialization.jsonObject(with: Data(get("/actuator/health", headers).utf8))
            return (((document as? [String: Any])?["components"] as? [String: Any])?["db"] as? [String: Any])?[
                "details"] != nil
        }

        func stop() {
            daemon.send(SIGTERM)
            #expect(daemon.wait() == 0)
        }
    }

    /// Central's address in the metrics (`venue_sync_central_member`) is a detail, as in
    /// `/health`: shown to this machine, not to a client elsewhere.
    @Test func metricsShowCentralsAddressToThisMachineOnly() throws {
        let proxied = try ProxiedDaemon()
        let member = "venue_sync_central_member{"
        for metrics in ["/metrics", "/actuator/prometheus"] {
            #expect(try proxied.get(metrics).contains(member), "\(metrics) hides central from this machine")
            let page = try proxied.get(metrics, ["X-Forwarded-For: 203.0.113.7"])
            #expect(page.contains("venue_sync_cycles_total{"), "\(page)")
            #expect(!page.contains(member), "\(metrics) shows central to a client elsewhere")
        }
        proxied.stop()
    }

    /// A trusted proxy may name the client in RFC 7239's `Forwarded` instead of
    /// `X-Forwarded-For`: details go to this machine only either way, and when a proxy sends
    /// both, each must name this machine.
    @Test func aTrustedProxysForwardedHeaderNamesTheClient() throws {
        let proxied = try ProxiedDaemon()
        #expect(try proxied.detailed([]))
        #expect(try proxied.detailed(["Forwarded: for=127.0.0.1"]))
        #expect(try proxied.detailed([#"Forwarded: for="[::1]:4711""#]))
        for remote in [
            ["Forwarded: for=203.0.113.7"], ["Forwarded: for=127.0.0.1, for=203.0.113.7;proto=https"],
            [#"Forwarded: For="[2001:db8:cafe::17]:4711""#], ["Forwarded: for=unknown"],
            ["X-Forwarded-For: 127.0.0.1", "Forwarded: for=203.0.113.7"],
        ] {
            #expect(try !proxied.detailed(remote), "details shown to \(remote)")
        }
        let page = try proxied.get("/metrics", ["Forwarded: for=203.0.113.7"])
        #expect(page.contains("venue_sync_cycles_total{") && !page.contains("venue_sync_central_member{"), "\(page)")
        proxied.stop()
    }

    /// The daemon's POSIX locks on the database file (`/proc/locks`, matched by device and inode).
    static func locks(of pid: Int32, on path: String) -> Int {
        var info = stat()
        guard stat(path, &info) == 0 else { return 0 }
        let device =
            "\(String(major(info.st_dev), radix: 16, uppercase: false).leftPadded(2)):"
            + "\(String(minor(info.st_dev), radix: 16, uppercase: false).leftPadded(2)):\(info.st_ino)"
        // Read to its end: Foundation reads a /proc file only as far as its first 4 KiB, which
        // a machine running other tests' databases fills with their locks.
        let table = String(
            decoding: FileHandle(forReadingAtPath: "/proc/locks").flatMap { try? $0.readToEnd() } ?? Data(),
            as: UTF8.self)
        return table.split(separator: "\n").filter { line in
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            guard let pidIndex = fields.firstIndex(where: { Int32($0) == pid }), pidIndex + 1 < fields.count else {
                return false
            }
            return fields[1] == "POSIX" && fields[pidIndex + 1] == device
        }.count
    }

    private static func major(_ device: UInt) -> UInt { (device >> 8) & 0xfff | (device >> 32) & ~0xfff }
    private static func minor(_ device: UInt) -> UInt { device & 0xff | (device >> 12) & ~0xff }
}

extension String {
    fileprivate func leftPadded(_ width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}
