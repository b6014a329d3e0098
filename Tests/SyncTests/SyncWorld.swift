import Central
import EdgeStore
import Foundation
import MySQLClient
import SyncWire
import TestSupport
import Testing

@testable import Ticketing

/// A central database (fresh, migrated, catalog imported) on a real MariaDB server, and nodes
/// that join it by pulling.
final class SyncWorld {
    let directory = TemporaryDirectory()
    let server: MariaDBSandbox
    let url: String
    let central: MySQLConnection
    let clock = SystemWallClock()

    /// A central fixture: venue HALL; BIG (GA 20,000: NODE-A 12,000, NODE-B 8,000), SEATED (50 seats:
    /// NODE-A rows A–C, NODE-B rows D–E), SMALL (GA 100: NODE-A 60, NODE-B 40).
    static let fixture = """
        {
          "format": "venue-reference/1",
          "parameters": { "currency": "EUR" },
          "venues": [ { "id": "HALL", "name": "Sync Hall", "timezone": "UTC",
                        "sections": [ { "code": "MAIN", "rows": [ { "labels": "A-E", "seats": 10 } ] } ] } ],
          "events": [
            { "id": "BIG", "venue": "HALL", "name": "Big Night", "starts_at": "2030-03-01T20:00:00Z", "status": "on_sale",
              "categories": [ { "code": "FLOOR", "name": "Floor", "kind": "ga", "price_minor": 1000, "capacity": 20000 } ] },
            { "id": "SEATED", "venue": "HALL", "name": "Seated Night", "starts_at": "2030-03-02T20:00:00Z", "status": "on_sale",
              "categories": [ { "code": "MAIN", "name": "Main", "kind": "seated", "price_minor": 5000, "sections": ["MAIN"] } ] },
            { "id": "SMALL", "venue": "HALL", "name": "Small Night", "starts_at": "2030-03-03T20:00:00Z", "status": "on_sale",
              "capacity": 100,
              "categories": [ { "code": "GA", "name": "Standing", "kind": "ga", "price_minor": 2000, "capacity": 100 } ] }
          ],
          "allocations": [
            { "node": "NODE-A", "event": "BIG", "category": "FLOOR", "quota": 12000 },
            { "node": "NODE-B", "event": "BIG", "category": "FLOOR", "quota": 8000 },
            { "node": "NODE-A", "event": "SEATED", "category": "MAIN", "seats": ["MAIN-A", "MAIN-B", "MAIN-C"] },
            { "node": "NODE-B", "event": "SEATED", "category": "MAIN", "seats": ["MAIN-D", "MAIN-E"] },
            { "node": "NODE-A", "event": "SMALL", "category": "GA", "quota": 60 },
            { "node": "NODE-B", "event": "SMALL", "category": "GA", "quota": 40 }
          ],
          "staff": []
        }
        """

    init(privateServer: Bool = false, importFixture: Bool = true) throws {
        server = privateServer ? try MariaDBSandbox.makePrivate() : MariaDBSandbox.shared
        url = try server.freshDatabase()
        central = try MySQLConnection(MySQLConfiguration(url: url, environment: server.environment))
        _ = try CentralMigrator(connection: central).migrate(dryRun: false, now: clock.now())
        if importFixture {
            let file = directory.file("central.json")
            try Self.fixture.write(toFile: file, atomically: true, encoding: .utf8)
            _ = try CentralCatalog(connection: central).importReference(file: file, now: clock.now())
        }
    }

    /// What a `venue-syncd` or `central` process needs to reach this central database.
    var environment: [String: String] { ["CENTRAL_URL": url, "CENTRAL_PASSWORD_FILE": server.passwordFile] }

    var configuration: MySQLConfiguration { get throws { try MySQLConfiguration(url: url, environment: environment) } }

    /// A new node database that has not synced yet.
    func makeNode(_ id: String, durability: NodeOptions.Durability = .full) throws -> SyncNode {
        let path = directory.file("\(id).sqlite")
        let options = NodeOptions(durability: durability)
        _ = try VenueNode.initialize(
            path: path, nodeID: id, adminName: "root", password: "root-password", options: options)
        return try SyncNode(path: path, options: options)
    }

    /// A new node database that has not synced yet, closed: only the processes a test starts
    /// have it open (a connection of the test's would hide what happens when one closes).
    func makeNodeFile(_ id: String) throws -> String {
        let path = directory.file("\(id).sqlite")
        _ = try VenueNode.initialize(path: path, nodeID: id, adminName: "root", password: "root-password")
        return path
    }

    /// `venue-syncd --once` against this central; with `clock`, under `faketime -f CLOCK` (`-1d`).
    func syncOnce(_ node: SyncNode, _ extra: [String] = [], clock: String? = nil) throws -> ProcessResult {
        try Self.run("venue-syncd", ["--db", node.path, "--once"] + extra, clock: clock, environment: environment)
    }

    /// A built executable, under `faketime -f CLOCK` when a clock offset is given.
    static func run(
        _ product: String, _ arguments: [String], stdin: String? = nil, clock: String?,
        environment: [String: String]
    ) throws -> ProcessResult {
        guard let clock else {
            return try ProcessRunner.run(
                ProcessRunner.product(product), arguments, stdin: stdin, environment: environment)
        }
        // A machine whose wall clock is off still counts its monotonic and boot clocks right
        // (login sessions and holds end on the boot clock): faketime would move those too.
        return try ProcessRunner.run(
            "/usr/bin/faketime", ["-f", clock, ProcessRunner.product(product)] + arguments, stdin: stdin,
            environment: environment.merging(["DONT_FAKE_MONOTONIC": "1"]) { $1 })
    }

    /// A running `venue-syncd`.
    func startDaemon(_ node: SyncNode, _ arguments: [String]) throws -> BackgroundProcess {
        try startDaemon(path: node.path, arguments)
    }

    /// A running `venue-syncd` on the node database at `path`.
    func startDaemon(path: String, _ arguments: [String]) throws -> BackgroundProcess {
        try BackgroundProcess(
            ProcessRunner.product("venue-syncd"), ["--db", path] + arguments, environment: environment,
            logDirectory: directory.path)
    }

    /// The central database's name on the server.
    var databaseName: String { MariaDBSandbox.databaseName(of: url) }

    /// `boxoffice` on `node`, as its admin `root` (logged in on first use), as a venue runs it;
    /// with `clock`, under `faketime -f CLOCK`.
    func boxoffice(_ node: SyncNode, _ arguments: [String], stdin: String? = nil, clock: String? = nil) throws
        -> ProcessResult
    {
        try boxoffice(path: node.path, arguments, stdin: stdin, clock: clock)
    }

    /// `boxoffice` on the node database at `path`, as ``boxoffice(_:_:stdin:clock:)``.
    func boxoffice(path: String, _ arguments: [String], stdin: String? = nil, clock: String? = nil) throws
        -> ProcessResult
    {
        let environment = [
            "BOXOFFICE_DB": path, "BOXOFFICE_SESSION_FILE": path + ".session", "HOME": directory.path,
        ]
        if !FileManager.default.fileExists(atPath: path + ".session") {
            let login = try ProcessRunner.run(
                ProcessRunner.product("boxoffice"), ["login", "root"], stdin: "root-password\n",
                environment: environment)
            precondition(login.status == 0, "login failed: \(login.stderr)")
        }
        return try Self.run("boxoffice", arguments, stdin: stdin, clock: clock, environment: environment)
    }

    /// `central` against this central database.
    func central(_ arguments: [String]) throws -> ProcessResult {
        try ProcessRunner.run(ProcessRunner.product("central"), arguments, environment: environment)
    }

    /// Every order `node` sold, as central holds it: status and total, each ticket's code and
    /// status, each payment's amount and refunded amount.
    func centralOrders(node: String) throws -> [String: String] {
        try Self.orders(
            orders: central.rows("SELECT id, status, total_minor FROM orders WHERE node_id = ?", [node]),
            tickets: central.rows("SELECT code, order_id, status FROM ticket WHERE node_id = ?", [node]),
            payments: central.rows(
                "SELECT order_id, amount_minor, refunded_minor FROM payment WHERE node_id = ?", [node]))
    }

    /// The same description of orders, from any database's rows.
    static func orders(orders: [Row], tickets: [Row], payments: [Row]) throws -> [String: String] {
        var described = [String: String]()
        for order in orders {
            described[try order.get("id")] =
                "\(try order.get("status", as: String.self)) \(try order.get("total_minor", as: Int64.self))"
        }
        for ticket in try tickets.sorted(by: { try $0.get("code", as: String.self) < $1.get("code", as: String.self) })
        {
            described[try ticket.get("order_id"), default: "?"] +=
                " \(try ticket.get("code", as: String.self)):\(try ticket.get("status", as: String.self))"
        }
        for payment in payments {
            described[try payment.get("order_id"), default: "?"] +=
                " paid \(try payment.get("amount_minor", as: Int64.self))"
                + " refunded \(try payment.get("refunded_minor", as: Int64.self))"
        }
        return described
    }

    /// Tickets, amounts, orders and payments per event and category as central holds them
    /// (for one node when given).
    func centralTotals(node: String? = nil) throws -> [String: [Int64]] {
        try Self.totals(try central.rows(Self.totalsSQL(byNode: true), Array(repeating: node, count: 8)))
    }

    /// Orders, tickets, amounts and payments per event and category; valid in SQLite and MySQL.
    /// `byNode` adds node filters (central's tables have a node column; a node's do not): bind
    /// the node id, or NULL for all nodes, eight times.
    static func totalsSQL(byNode: Bool) -> String {
        func only(_ alias: String) -> String { byNode ? " AND (? IS NULL OR \(alias).node_id = ?)" : "" }
        return """
            SELECT o.event_id, o.category_code, COUNT(DISTINCT o.id) AS orders,
                   (SELECT COUNT(*) FROM ticket t WHERE t.event_id = o.event_id AND t.category_code = o.category_code
                      AND t.status IN ('valid', 'checked_in')\(only("t"))) AS tickets,
                   (SELECT COALESCE(SUM(t.price_minor), 0) FROM ticket t WHERE t.event_id = o.event_id AND t.category_code = o.category_code
                      AND t.status IN ('valid', 'checked_in')\(only("t"))) AS amount,
                   (SELECT COALESCE(SUM(p.amount_minor - p.refunded_minor), 0) FROM payment p JOIN orders o2 ON o2.id = p.order_id
                      WHERE o2.event_id = o.event_id AND o2.category_code = o.category_code\(only("p"))) AS paid
            FROM orders o WHERE 1 = 1\(only("o")) GROUP BY o.event_id, o.category_code
            """
    }

    static func totals(_ rows: [Row]) throws -> [String: [Int64]] {
        var totals = [String: [Int64]]()
        for row in rows {
            totals["\(try row.get("event_id", as: String.self))/\(try row.get("category_code", as: String.self))"] =
                [try row.get("orders"), try row.get("tickets"), try row.get("amount"), try row.get("paid")]
        }
        return totals
    }
}

/// A node in a sync test, opened by the test (the daemon opens its own connection).
final class SyncNode {
    let path: String
    let node: VenueNode
    let admin: Operator

    init(path: String, options: NodeOptions) throws {
        self.path = path
        node = try VenueNode.open(path: path, options: options)
        let row = try #require(try node.database.row("SELECT id FROM staff WHERE name = 'root'"))
        admin = Operator(id: try row.get("id"), name: "root", role: .admin)
    }

    @discardableResult
    func sell(
        _ event: String, _ category: String, _ selection: SeatSelection = .quantity(1),
        payment: PaymentRequest = PaymentRequest(method: .cash)
    ) throws -> Receipt {
        try node.sales.sell(
            SaleRequest(eventID: event, categoryCode: category, selection: selection, payment: payment), by: admin)
    }

    /// Every order, as ``SyncWorld/centralOrders(node:)`` describes them, from the node's own database.
    func orders() throws -> [String: String] {
        try SyncWorld.orders(
            orders: node.database.rows("SELECT id, status, total_minor FROM orders"),
            tickets: node.database.rows("SELECT code, order_id, status FROM ticket"),
            payments: node.database.rows("SELECT order_id, amount_minor, refunded_minor FROM payment"))
    }

    /// Broken inventory invariants (none when all hold).
    func inventoryViolations() throws -> [String] {
        try node.database.rows(InventoryAudit.sql).map { try $0.get("problem") }
    }

    /// The same totals as ``SyncWorld/centralTotals(node:)``, from the node's own database.
    func totals() throws -> [String: [Int64]] {
        try SyncWorld.totals(try node.database.rows(SyncWorld.totalsSQL(byNode: false)))
    }

    func count(_ sql: String, _ arguments: [any SQLValueConvertible] = []) throws -> Int {
        try node.database.scalar(sql, arguments) ?? 0
    }
}

/// Central behind `Tests/Helpers/freeze-proxy.py`: a TCP proxy to the world's server that, once
/// armed, holds the next COMMIT it passes (a push frozen mid-transaction, as on a dead network).
final class FreezeProxy {
    /// The port the proxy listens on.
    let port: Int
    private let arm: String
    private let process: BackgroundProcess

    init(_ world: SyncWorld) throws {
        port = Network.freePort()
        arm = world.directory.file("freeze-next-commit")
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Helpers/freeze-proxy.py").path
        process = try BackgroundProcess(
            "/usr/bin/python3", [script, String(port), "127.0.0.1", world.server.port, arm],
            logDirectory: world.directory.path)
        let process = process
        try #require(waitUntil(timeout: 5) { process.stderr.contains("listening") } != nil, "\(process.stderr)")
    }

    /// Holds the next COMMIT that passes.
    func armNextCommit() { _ = FileManager.default.createFile(atPath: arm, contents: nil) }

    /// True once a COMMIT is held.
    var hasFrozen: Bool { process.stderr.contains("frozen") }

    /// The world's central URL through the proxy, with `query` (without its `?`).
    func url(_ world: SyncWorld, query: String) -> String {
        "mysql://venue_app@127.0.0.1:\(port)/\(world.databaseName)?\(query)"
    }
}
