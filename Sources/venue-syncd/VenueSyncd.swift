import CLIKit
import CentralSync
import EventLog
import Foundation
import HTTPServer
import Mail
import MySQLClient
import SyncEngine
import Ticketing

/// `venue-syncd`: the background daemon that syncs one node with central MySQL.
struct VenueSyncd: ParsableCommand {
    static let version = "0.1.0"

    /// The format of the log lines on stderr.
    enum LogFormat: String, CaseIterable, Sendable { case text, json }

    static let database = TypedOption.text(
        "--db", "PATH", help: "Node database (default: $BOXOFFICE_DB, else ./venue.sqlite).")
    static let central = TypedOption.text(
        "--central", "URL", help: "mysql://user@host:port/db[?socket=…&tls=…] (default: $CENTRAL_URL).")
    static let interval = TypedOption.duration(
        "--interval", in: 0.05...3600, help: "Time between cycles while central is writable (default 2s).")
    static let batch = TypedOption.integer(
        "--batch", "N", in: 1...10_000, help: "Outbox records per push transaction, changes per pull (default 500).")
    static let once = FlagOption("--once", help: "Run one cycle (pull, push until drained) and exit.")
    static let listen = TypedOption<ListenAddress>(
        "--listen", "HOST:PORT",
        help: "Serve the API for tills and doors, /health, /metrics and /actuator there (e.g. 127.0.0.1:8080).",
        expected: "HOST:PORT or [IPv6]:PORT with a port from 0 to 65535, e.g. 127.0.0.1:8080",
        convert: ListenAddress.init)
    static let http = TypedOption<ListenAddress>(
        "--http", "HOST:PORT", help: "The same as --listen (its earlier name).",
        expected: "HOST:PORT or [IPv6]:PORT with a port from 0 to 65535, e.g. 127.0.0.1:9464",
        convert: ListenAddress.init)
    static let allowPlainHTTP = FlagOption(
        "--allow-plain-http",
        help: "Listen on an address other machines reach without TLS in front (only on a network you trust).")
    static let healthDetails = TypedOption<HealthDetailsVisibility>.choice(
        "--health-details", "WHO",
        help: "Who sees health components' details: loopback (default: this machine), always or never.")
    static let trustedProxies = TypedOption<Set<String>>(
        "--trusted-proxies", "ADDRESSES",
        help: "Comma-separated addresses of reverse proxies whose X-Forwarded-For names the client.",
        expected: "IP addresses separated by commas, e.g. 127.0.0.1,::1", convert: Self.addresses)
    static let maxBackoff = TypedOption.duration(
        "--max-backoff", in: 0.1...86_400,
        help: "Longest wait between probes of a read-only or unreachable central (default 30s).")
    static let stallTimeout = TypedOption.duration(
        "--stall-timeout", in: 1...86_400,
        help: "How long one sync step may take before /health/liveness reports the loop wedged (default 5m).")
    static let minimumFree = TypedOption.integer(
        "--min-free-mb", "MB", in: 1...10_000_000, help: "diskSpace is DOWN below this much free space (default 100).")
    static let mail = TypedOption<any MailTransport>(
        "--mail", "TRANSPORT",
        help: "Deliver customer emails: smtp://host[:port][?starttls=…], sendmail:PATH or spool:DIR (default: off).",
        expected: "a mail transport", convert: MailTransports.parse)
    static let logLevel = TypedOption<LineLogger.Level>.choice(
        "--log-level", "LEVEL", help: "debug, info (default), warning or error: the least severe event logged.")
    static let config = TypedOption.text(
        "--config", "FILE", help: "Node settings, KEY=VALUE (default: $BOXOFFICE_CONFIG); flags and variables win.")
    static let logFormat = TypedOption<LogFormat>.choice(
        "--log-format", "FORMAT", help: "text (default) or json: one line per event on stderr.")

    static let configuration = CommandConfiguration(
        name: "venue-syncd",
        abstract: "Sync a venue node with central MySQL: push sales, pull catalog and allocations.",
        discussion: """
            The central password comes from CENTRAL_PASSWORD or the file named by CENTRAL_PASSWORD_FILE, never from
            the command line. Exit codes: 0 stopped cleanly (SIGTERM/SIGINT) or --once succeeded, 1 error (another
            daemon runs for this database, the database is unusable), 2 usage, 6 the node database is not there, 75
            --once found central read-only or unreachable.
            """,
        options: [
            config, database, central, interval, batch, once, listen, http, allowPlainHTTP, healthDetails,
            trustedProxies,
            maxBackoff,
            stallTimeout, minimumFree, mail, logFormat, logLevel,
        ])

    let central: MySQLConfiguration
    let options: SyncDaemon.Options
    let logFormat: LogFormat
    let logLevel: LineLogger.Level

    init(_ arguments: ParsedArguments) throws {
        let environment = ProcessInfo.processInfo.environment
        let settings = try ConfigFile.settings(
            file: try arguments.value(Self.config) ?? environment[NodeSetting.config.rawValue],
            known: NodeSetting.fileKeys,
            environment: environment)
        do {
            central = try MySQLConfiguration.resolve(url: try arguments.value(Self.central), environment: settings)
        } catch let error as MySQLError {
            throw UsageError(error.message)
        }
        var options = SyncDaemon.Options(
            databasePath: NodeEnvironment.databasePath(
                given: try arguments.value(Self.database), environment: settings),
            centralDescription: central.description)
        options.interval = try arguments.value(Self.interval, orSetting: NodeSetting.interval, in: settings) ?? 2
        options.maxBackoff = try arguments.value(Self.maxBackoff, orSetting: NodeSetting.maxBackoff, in: settings) ?? 30
        options.batchSize = Int(try arguments.value(Self.batch, orSetting: NodeSetting.batch, in: settings) ?? 500)
        options.once = arguments.isSet(Self.once)
        options.mail = try arguments.value(Self.mail, orSetting: NodeSetting.mailTransport, in: settings)
        let listen = try arguments.value(Self.listen, orSetting: NodeSetting.listen, in: settings)
        let http = try arguments.value(Self.http, orSetting: NodeSetting.http, in: settings)
        if listen != nil, http != nil {
            throw UsageError("--listen (SYNCD_LISTEN) and --http (SYNCD_HTTP) name the same listener: give one")
        }
        options.listen = listen ?? http
        let setting = settings[setting: .allowPlainHTTP] ?? ""
        guard ["", "yes", "no"].contains(setting) else {
            throw UsageError("\(NodeSetting.allowPlainHTTP.rawValue) must be yes or no, not '\(setting)'")
        }
        let plain = arguments.isSet(Self.allowPlainHTTP) || setting == "yes"
        if let address = options.listen, !address.isLoopback, !plain {
            throw UsageError(
                "\(address) would serve the API without TLS to the venue network: listen on 127.0.0.1 behind "
                    + "nginx (Scripts/nginx/venue-node.conf), or say --allow-plain-http (SYNCD_ALLOW_PLAIN_HTTP=yes)")
        }
        options.healthDetails =
            try arguments.value(Self.healthDetails, orSetting: NodeSetting.healthDetails, in: settings) ?? .loopback
        options.trustedProxies =
            try arguments.value(Self.trustedProxies, orSetting: NodeSetting.trustedProxies, in: settings) ?? []
        options.stallTimeout =
            try arguments.value(Self.stallTimeout, orSetting: NodeSetting.stallTimeout, in: settings)
            ?? options.stallTimeout
        options.minimumFreeBytes =
            (try arguments.value(Self.minimumFree, orSetting: NodeSetting.minimumFreeMB, in: settings)).map {
                $0 * 1024 * 1024
            } ?? options.minimumFreeBytes
        do {
            options.nodeOptions = try NodeEnvironment.options(environment: settings)
        } catch let error as TicketingError {
            throw UsageError(error.message)
        }
        self.options = options
        logFormat = try arguments.value(Self.logFormat, orSetting: NodeSetting.logFormat, in: settings) ?? .text
        logLevel = try arguments.value(Self.logLevel, orSetting: NodeSetting.logLevel, in: settings) ?? .info
    }

    func run() throws {
        let logger = LineLogger(json: logFormat == .json, minimumLevel: logLevel)
        let endpoint = MySQLCentral(configuration: central)
        endpoint.onEvent = { event, fields in
            if event == "central.failover" { logger.warning(event, fields) } else { logger.info(event, fields) }
        }
        let status: Int32
        switch try SyncDaemon(options: options, central: endpoint, logger: logger).run() {
        case .exited(let code): status = code
        case .restart(let reason):
            logger.log(.error, "syncd.restarting", ["reason": reason])
            throw Reexecution.restart()
        }
        if status != 0 {
            throw Failure(
                exitCode: status, code: "central_unavailable",
                message:
                    "central is not writable, unreachable or incompatible, or the node failed; see the log and try again later"
            )
        }
    }

    static func describe(_ error: Error) -> Failure {
        switch error {
        case let error as DaemonError: Failure(exitCode: 1, code: "daemon", message: error.message)
        case let error as TicketingError:
            Failure(exitCode: error.isNotFound ? 6 : 1, code: "node", message: error.message)
        default:
            if let problem = StorageProblem(error) {
                switch problem {
                case .busy:
                    Failure(
                        exitCode: 1, code: "database_busy", message: "node database: locked by another process too long"
                    )
                case .detached(let message):
                    Failure(exitCode: 1, code: "store_detached", message: "node database: \(message)")
                case .failed(let message):
                    Failure(exitCode: 1, code: "database_error", message: "node database: \(message)")
                }
            } else {
                Failure(exitCode: 1, code: "error", message: "\(error)")
            }
        }
    }
}

extension VenueSyncd {
    /// Comma-separated IP addresses; nil when one is not an address.
    static func addresses(_ text: String) -> Set<String>? {
        let addresses = text.split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces) }
        guard !addresses.isEmpty,
            addresses.allSatisfy({ ListenAddress.isLoopback(address: $0) || ListenAddress(host: $0, port: 0).isAddress }
            )
        else { return nil }
        return Set(addresses)
    }
}

extension TicketingError {
    var isNotFound: Bool {
        if case .notFound = self { return true }
        return false
    }
}
