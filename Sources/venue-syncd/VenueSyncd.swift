import Central
import CLIKit
import EdgeStore
import Foundation
import MySQLClient
import SyncEngine
import SyncWire
import Ticketing

/// `venue-syncd`: the background daemon that syncs one node with central MySQL.
struct VenueSyncd: ParsableCommand {
    static let version = "0.1.0"

    static let configuration = CommandConfiguration(
        name: "venue-syncd",
        abstract: "Sync a venue node with central MySQL: push sales, pull catalog and allocations.",
        discussion: """
            The central password comes from CENTRAL_PASSWORD or the file named by CENTRAL_PASSWORD_FILE, never from
            the command line. Exit codes: 0 stopped cleanly (SIGTERM/SIGINT) or --once succeeded, 1 error (another
            daemon runs for this database, the database is unusable), 2 usage, 75 --once found central read-only or
            unreachable.
            """,
        options: [
            .value("--db", "PATH", help: "Node database (default: $BOXOFFICE_DB, else ./venue.sqlite)."),
            .value("--central", "URL", help: "mysql://user@host:port/db[?socket=…&tls=…] (default: $CENTRAL_URL)."),
            .value("--interval", "DURATION", help: "Time between cycles while central is writable (default 2s)."),
            .value("--batch", "N", help: "Outbox records per push transaction, changes per pull (default 500)."),
            .flag("--once", help: "Run one cycle (pull, push until drained) and exit."),
            .value("--http", "HOST:PORT", help: "Serve GET /health and /metrics there (e.g. 127.0.0.1:9464)."),
            .value("--max-backoff", "DURATION", help: "Longest wait between probes of a read-only or unreachable central (default 30s)."),
            .value("--log-format", "FORMAT", help: "text (default) or json: one line per event on stderr."),
        ])

    static func run(_ arguments: ParsedArguments) throws {
        let environment = ProcessInfo.processInfo.environment
        guard let url = arguments.value("--central") ?? environment["CENTRAL_URL"] else {
            throw UsageError("missing --central URL (or CENTRAL_URL)")
        }
        let central: MySQLConfiguration
        do {
            central = try MySQLConfiguration(url: url)
        } catch let error as MySQLError {
            throw UsageError(error.message)
        }
        var options = SyncDaemon.Options(databasePath: arguments.value("--db") ?? environment["BOXOFFICE_DB"] ?? "./venue.sqlite",
                                         centralDescription: central.description)
        options.interval = try seconds(arguments, "--interval", default: 2, range: 0.05...3600)
        options.maxBackoff = try seconds(arguments, "--max-backoff", default: 30, range: 0.1...86_400)
        options.batchSize = Int(try arguments.integer("--batch", in: 1...10_000) ?? 500)
        options.once = arguments.flag("--once")
        if let address = arguments.value("--http") {
            let parts = address.split(separator: ":")
            guard parts.count == 2, let port = Int(parts[1]), (0...65535).contains(port) else {
                throw UsageError("--http must be HOST:PORT, e.g. 127.0.0.1:9464, not '\(address.prefix(40))'")
            }
            options.httpHost = String(parts[0])
            options.httpPort = port
        }
        if let value = environment["BOXOFFICE_SYNCHRONOUS"], let synchronous = Database.Options.Synchronous(rawValue: value.uppercased()) {
            options.databaseOptions.synchronous = synchronous
        }
        let format = try arguments.choice("--log-format", in: ["text", "json"]) ?? "text"
        let logger = LineLogger(json: format == "json")
        let endpoint = MySQLCentral(configuration: central)
        endpoint.onEvent = { event, fields in logger.info(event, fields) }
        let status = try SyncDaemon(options: options, central: endpoint, logger: logger).run()
        if status != 0 {
            throw Failure(exitCode: status, code: "central_unavailable",
                          message: "central is not writable, unreachable or incompatible, or the node failed; see the log and try again later")
        }
    }

    /// A duration option in seconds (`500ms` is not accepted; `2s`, `1m` are).
    static func seconds(_ arguments: ParsedArguments, _ name: String, default value: Double, range: ClosedRange<Double>) throws -> Double {
        guard let text = arguments.value(name) else { return value }
        let parsed: Double?
        if text.hasSuffix("ms"), let milliseconds = Double(text.dropLast(2)) {
            parsed = milliseconds / 1000
        } else {
            parsed = DurationText.seconds(text).map(Double.init)
        }
        guard let seconds = parsed, range.contains(seconds) else {
            throw UsageError("\(name) must be a duration like 500ms, 2s or 1m, not '\(text.prefix(20))'")
        }
        return seconds
    }

    static func describe(_ error: Error) -> Failure {
        switch error {
        case let error as DaemonError: Failure(exitCode: 1, code: "daemon", message: error.message)
        case let error as TicketingError:
            Failure(exitCode: error.isNotFound ? 6 : 1, code: "node", message: error.message)
        case let error as StoreError: Failure(exitCode: 1, code: "database_error", message: "node database: \(error.message)")
        default: Failure(exitCode: 1, code: "error", message: "\(error)")
        }
    }
}

extension TicketingError {
    var isNotFound: Bool {
        if case .notFound = self { return true }
        return false
    }
}
