import Foundation
import TestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// The node database's `-wal` or `-shm` deleted under a running `venue-syncd` (what a reader
/// does when it believes itself the last connection, or an operator cleaning up): no sale a till
/// or the counter was told about is lost. The daemon refuses every commit into the detached
/// files (`503 store_detached`), whichever of its threads makes it, stops its listener and email
/// worker at once, starts again in the same process, and the sales made since reach central.
@Suite struct DetachedStoreDaemonTests {
    static let sell = ["sell", "BIG", "--category", "FLOOR", "--qty", "1", "--payment", "cash", "--json"]

    /// The WAL deleted while tills sell through the API and the email worker runs: every sale
    /// answered 201 (and every CLI sale that printed a receipt) is at the node and at central
    /// once the daemon started again; those made while it was detached were refused, not lost.
    @Test func aDeletedWALUnderAPISalesAndMailLosesNoConfirmedSale() throws {
        let world = try SyncWorld()
        let path = try world.makeNodeFile("NODE-A")
        let api = DaemonAPI(port: Network.freePort(), directory: world.directory)
        let spool = world.directory.file("spool")
        let daemon = try world.startDaemon(
            path: path, ["--interval", "200ms", "--listen", "127.0.0.1:\(api.port)", "--mail", "spool:\(spool)"])
        #expect(waitUntil(timeout: 20) { daemon.stderr.contains("pull.applied") } != nil, "\(daemon.stderr)")
        let token = try #require(api.signIn())
        var confirmed = [String]()
        for number in 1...3 {
            let sale = api.sell(token: token, key: "before-\(number)")
            #expect(sale.status == 201, "\(sale)")
            confirmed += sale.orderID.map { [$0] } ?? []
        }
        let counter = try world.boxoffice(path: path, Self.sell)
        #expect(counter.status == 0, "\(counter.stderr)")
        confirmed += Self.orderID(counter.stdout).map { [$0] } ?? []
        #expect(waitUntil(timeout: 20) { (try? world.centralOrders(node: "NODE-A").count) == 4 } != nil)
        // Everything so far in the database file, so that deleting the WAL takes nothing committed.
        let checkpoint = try ProcessRunner.run("/usr/bin/sqlite3", [path, "PRAGMA wal_checkpoint(TRUNCATE)"])
        #expect(checkpoint.stdout.hasPrefix("0|"), "\(checkpoint.stdout)\(checkpoint.stderr)")
        #expect(unlink(path + "-wal") == 0)
        var answers = [String: Int]()
        var restarted = false
        var afterRestart = 0
        var attempt = 0
        let done = waitUntil(timeout: 60, every: 0) {
            attempt += 1
            let sale = api.sell(token: token, key: "after-\(attempt)")
            answers["\(sale.status) \(sale.code ?? "")", default: 0] += 1
            if sale.status == 201, let order = sale.orderID { confirmed.append(order) }
            if attempt % 10 == 0, let receipt = try? world.boxoffice(path: path, Self.sell), receipt.status == 0 {
                confirmed += Self.orderID(receipt.stdout).map { [$0] } ?? []
            }
            restarted = restarted || daemon.stderr.contains("syncd.restarting")
            if restarted, sale.status == 201 { afterRestart += 1 }
            return afterRestart >= 3
        }
        #expect(done != nil, "\(answers)\n\(daemon.stderr)")
        #expect(
            Set(answers.keys).isSubset(of: ["201 ", "503 store_detached", "0 "]),
            "an answer other than a sale, its refusal or no connection: \(answers)")
        #expect(daemon.stderr.contains("store.detached") && daemon.stderr.contains("-wal was deleted while open"))
        let atCentral = waitUntil(timeout: 30) {
            let orders = (try? world.centralOrders(node: "NODE-A")) ?? [:]
            return confirmed.allSatisfy { orders[$0] != nil }
        }
        #expect(atCentral != nil, "confirmed sales missing at central: \(answers)\n\(daemon.stderr)")
        daemon.send(SIGTERM)
        #expect(daemon.wait() == 0)
        let atNode = try Self.orders(at: path)
        #expect(confirmed.filter { !atNode.contains($0) } == [], "confirmed sales missing at the node: \(answers)")
    }

    /// The WAL and `-shm` deleted under a daemon with nothing to serve but sync (what a reader
    /// that believed itself the last connection does): the daemon says so in its log, starts
    /// again (the same process, every connection closed, central's too: no socket is left over),
    /// and the counter's sales made since reach central.
    @Test func aDeletedWALIsNoticedAndTheDaemonReopensLoudly() throws {
        let world = try SyncWorld()
        let path = try world.makeNodeFile("NODE-A")
        let daemon = try world.startDaemon(path: path, ["--interval", "200ms"])
        #expect(waitUntil(timeout: 20) { daemon.stderr.contains("pull.applied") } != nil, "\(daemon.stderr)")
        let sockets = Self.sockets(of: daemon.pid)
        #expect(sockets > 0, "no connection to central")
        let checkpoint = try ProcessRunner.run("/usr/bin/sqlite3", [path, "PRAGMA wal_checkpoint(TRUNCATE)"])
        #expect(checkpoint.stdout.hasPrefix("0|"), "\(checkpoint.stdout)\(checkpoint.stderr)")
        #expect(unlink(path + "-wal") == 0 && unlink(path + "-shm") == 0)
        for _ in 0..<3 { #expect(try world.boxoffice(path: path, Self.sell).status == 0) }
        #expect(
            waitUntil(timeout: 20) { (try? world.centralOrders(node: "NODE-A").count) == 3 } != nil,
            "sales after the WAL was deleted never reached central: \(daemon.stderr)")
        #expect(daemon.stderr.contains("store.detached"), "\(daemon.stderr)")
        #expect(daemon.stderr.contains("-wal was deleted while open"))
        #expect(daemon.stderr.contains("syncd.restarting"))
        #expect(Self.sockets(of: daemon.pid) == sockets, "a socket of the process before the restart is still open")
        daemon.send(SIGTERM)
        #expect(daemon.wait() == 0)
    }

    /// The `-shm` deleted while the daemon runs, then the counter and the tills sell in turn: a
    /// `boxoffice` process makes a new `-shm`, and the daemon's deleted one would index the same
    /// WAL differently (each side writing over the other's frames). The daemon notices, refuses
    /// its commits meanwhile and starts again; every receipt is at the node and at central.
    @Test func aDeletedSharedMemoryIsNoticedAndNoReceiptIsLost() throws {
        let world = try SyncWorld()
        let path = try world.makeNodeFile("NODE-A")
        let api = DaemonAPI(port: Network.freePort(), directory: world.directory)
        let daemon = try world.startDaemon(path: path, ["--interval", "200ms", "--listen", "127.0.0.1:\(api.port)"])
        #expect(waitUntil(timeout: 20) { daemon.stderr.contains("pull.applied") } != nil, "\(daemon.stderr)")
        let token = try #require(api.signIn())
        var receipts = [String]()
        func sellAtBoth(_ label: String) throws {
            let receipt = try world.boxoffice(path: path, Self.sell)
            #expect(receipt.status == 0, "\(receipt.stderr)")
            receipts += Self.orderID(receipt.stdout).map { [$0] } ?? []
            let sale = api.sell(token: token, key: label)
            #expect([201, 503, 0].contains(sale.status), "\(sale)")
            if sale.status == 201, let order = sale.orderID { receipts.append(order) }
        }
        try sellAtBoth("before")
        #expect(waitUntil(timeout: 20) { (try? world.centralOrders(node: "NODE-A").count) == 2 } != nil)
        #expect(unlink(path + "-shm") == 0)
        for number in 1...4 { try sellAtBoth("after-\(number)") }
        #expect(
            waitUntil(timeout: 20) { daemon.stderr.contains("syncd.restarting") } != nil,
            "the deleted -shm went unnoticed: \(daemon.stderr)")
        #expect(daemon.stderr.contains("-shm was deleted while open"), "\(daemon.stderr)")
        let resumed = waitUntil(timeout: 20) { api.sell(token: token, key: "resumed").status == 201 }
        #expect(resumed != nil, "\(daemon.stderr)")
        receipts += api.sell(token: token, key: "resumed").orderID.map { [$0] } ?? []
        let atCentral = waitUntil(timeout: 30) {
            let orders = (try? world.centralOrders(node: "NODE-A")) ?? [:]
            return receipts.allSatisfy { orders[$0] != nil }
        }
        #expect(atCentral != nil, "receipts missing at central: \(receipts)\n\(daemon.stderr)")
        daemon.send(SIGTERM)
        #expect(daemon.wait() == 0)
        let atNode = try Self.orders(at: path)
        #expect(receipts.filter { !atNode.contains($0) } == [], "receipts missing at the node")
        let integrity = try ProcessRunner.run("/usr/bin/sqlite3", [path, "PRAGMA integrity_check"])
        #expect(integrity.stdout == "ok\n", "\(integrity.stdout)\(integrity.stderr)")
    }

    /// The WAL deleted while the sync thread is stuck in a push whose COMMIT the network swallowed:
    /// the sync thread looks at no file until its read times out, yet the next till's sale is
    /// refused (503 `store_detached`, found as it commits on the listener's thread) and the
    /// listener stops at once, before the push gives up; the daemon then starts again, the same
    /// sale sent again with its key is made, and it reaches central.
    @Test func aSaleIntoADeletedWALIsRefusedWhileThePushIsFrozen() throws {
        let world = try SyncWorld()
        let path = try world.makeNodeFile("NODE-A")
        let proxy = try FreezeProxy(world)
        let api = DaemonAPI(port: Network.freePort(), directory: world.directory)
        let through =
            proxy.url(
                world,
                query: "connect_timeout=2&read_timeout=8&write_timeout=8&lock_wait_timeout=2&idle_transaction_timeout=5"
            )
        let daemon = try BackgroundProcess(
            ProcessRunner.product("venue-syncd"),
            ["--db", path, "--interval", "200ms", "--listen", "127.0.0.1:\(api.port)"],
            environment: ["CENTRAL_URL": through, "CENTRAL_PASSWORD_FILE": world.server.passwordFile],
            logDirectory: world.directory.path)
        #expect(waitUntil(timeout: 20) { daemon.stderr.contains("pull.applied") } != nil, "\(daemon.stderr)")
        let token = try #require(api.signIn())
        let first = api.sell(token: token, key: "first")
        #expect(first.status == 201)
        #expect(waitUntil(timeout: 20) { (try? world.centralOrders(node: "NODE-A").count) == 1 } != nil)
        let checkpoint = try ProcessRunner.run("/usr/bin/sqlite3", [path, "PRAGMA wal_checkpoint(TRUNCATE)"])
        #expect(checkpoint.stdout.hasPrefix("0|"), "\(checkpoint.stdout)\(checkpoint.stderr)")
        // The next push's COMMIT is swallowed: the sync thread waits for central's answer. (That
        // sale is in the WAL about to be deleted, lost with it; it is left out below.)
        proxy.armNextCommit()
        #expect(api.sell(token: token, key: "frozen").status == 201)
        #expect(waitUntil(timeout: 10) { proxy.hasFrozen } != nil, "\(daemon.stderr)")
        #expect(unlink(path + "-wal") == 0)
        let refused = api.sell(token: token, key: "refused")
        #expect(refused.status == 503 && refused.code == "store_detached", "\(refused)\n\(daemon.stderr)")
        #expect(
            waitUntil(timeout: 20) { api.sell(token: token, key: "probe").status == 0 } != nil,
            "the listener kept answering: \(daemon.stderr)")
        let log = daemon.stderr
        #expect(log.contains("store.detached") && !log.contains("cause=connection_lost"), "\(log)")
        #expect(waitUntil(timeout: 30) { daemon.stderr.contains("syncd.restarting") } != nil, "\(daemon.stderr)")
        var again = (status: 0, orderID: String?.none, code: String?.none)
        #expect(
            waitUntil(timeout: 30) {
                again = api.sell(token: token, key: "refused")
                return again.status == 201
            } != nil, "\(again)\n\(daemon.stderr)")
        let sold = [first.orderID, again.orderID].compactMap { $0 }
        #expect(
            waitUntil(timeout: 30) {
                let orders = (try? world.centralOrders(node: "NODE-A")) ?? [:]
                return sold.count == 2 && sold.allSatisfy { orders[$0] != nil }
            } != nil, "\(daemon.stderr)")
        daemon.send(SIGTERM)
        #expect(daemon.wait() == 0)
        withExtendedLifetime(proxy) {}
    }

    /// The database renamed under the daemon: it notices, starts again, and finds no database to
    /// start on: exit 6 (not found), naming the path, as the README's table says (systemd tries
    /// again until the file is back).
    @Test func aDatabaseRenamedAwayEndsTheDaemonAsNotFound() throws {
        let world = try SyncWorld()
        let path = try world.makeNodeFile("NODE-A")
        let daemon = try world.startDaemon(path: path, ["--interval", "200ms"])
        #expect(waitUntil(timeout: 20) { daemon.stderr.contains("pull.applied") } != nil, "\(daemon.stderr)")
        #expect(rename(path, path + ".moved") == 0)
        #expect(waitUntil(timeout: 20) { !daemon.isRunning } != nil, "\(daemon.stderr)")
        #expect(daemon.wait() == 6, "\(daemon.stderr)")
        #expect(daemon.stderr.contains("was renamed or moved away while open"), "\(daemon.stderr)")
        #expect(daemon.stderr.contains("syncd.restarting"))
        #expect(daemon.stderr.contains("Error: no node database at \(path)"), "\(daemon.stderr)")
    }

    /// How many sockets process `pid` has open.
    static func sockets(of pid: Int32) -> Int {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fd")) ?? []
        return names.filter {
            (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/fd/\($0)"))?.hasPrefix("socket:")
                == true
        }.count
    }

    /// The order ids the node database holds, read by the `sqlite3` shell.
    static func orders(at path: String) throws -> Set<String> {
        let result = try ProcessRunner.run("/usr/bin/sqlite3", [path, "SELECT id FROM orders"])
        return Set(result.stdout.split(separator: "\n").map(String.init))
    }

    /// The `order_id` of a `--json` receipt.
    static func orderID(_ json: String) -> String? {
        (try? JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])?["order_id"] as? String
    }
}

/// A till on the daemon's API, through `curl`.
struct DaemonAPI {
    let port: Int
    let directory: TemporaryDirectory

    /// A token for the node's admin `root`; nil when the daemon does not give one.
    func signIn() -> String? {
        let answer = call("POST", "/v1/sessions", json: #"{"name": "root", "password": "root-password"}"#)
        return answer.body?["token"] as? String
    }

    /// One ticket of BIG/FLOOR for cash, with a customer to email, under a key made of `key`: the HTTP status
    /// (0 when nothing answered), the order made and the error's code.
    func sell(token: String, key: String) -> (status: Int, orderID: String?, code: String?) {
        let answer = call(
            "POST", "/v1/sales", token: token, key: key,
            json: #"{"event": "BIG", "category": "FLOOR", "quantity": 1, "payment": {"method": "cash"}, "#
                + #""customer": {"email": "fan@example.org"}}"#)
        return (
            answer.status, answer.body?["order_id"] as? String,
            (answer.body?["error"] as? [String: Any])?["code"] as? String
        )
    }

    func call(_ method: String, _ path: String, token: String? = nil, key: String? = nil, json: String)
        -> (status: Int, body: [String: Any]?)
    {
        let output = directory.file("answer-\(UUID().uuidString.prefix(8))")
        defer { unlink(output) }
        var arguments = [
            "-sS", "--max-time", "20", "-X", method, "-o", output, "-w", "%{http_code}",
            "http://127.0.0.1:\(port)\(path)", "-H", "Content-Type: application/json", "--data-binary", json,
        ]
        if let token { arguments += ["-H", "Authorization: Bearer \(token)"] }
        if let key { arguments += ["-H", "Idempotency-Key: till-\(key)-0001"] }
        guard let result = try? ProcessRunner.run("/usr/bin/curl", arguments) else { return (0, nil) }
        let data = FileManager.default.contents(atPath: output) ?? Data()
        return (Int(result.stdout) ?? 0, try? JSONSerialization.jsonObject(with: data) as? [String: Any])
    }
}
