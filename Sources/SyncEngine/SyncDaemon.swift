#if canImport(Glibc)
import Glibc
#endif
import CLIKit
import EdgeStore
import Foundation
import HTTPServer
import MySQLClient
import SyncWire
import Ticketing

/// `venue-syncd`: keeps one node and central in step until told to stop.
///
/// One sync thread runs cycles (``SyncEngine``); one HTTP thread answers `/health` and
/// `/metrics` from its own database connection. Central's mode decides the rhythm:
/// - writable: a cycle every `interval` (pull, push until drained; an empty push is the heartbeat);
/// - read-only: pull every `interval`, keep the outbox, probe with a push at capped exponential
///   backoff with jitter; the first probe that succeeds drains the outbox;
/// - unreachable: probe by connecting, at the same backoff.
/// SIGTERM and SIGINT stop it between batches; exit code 0.
public final class SyncDaemon {
    /// How the daemon runs.
    public struct Options: Sendable {
        public var databasePath: String
        public var central: MySQLConfiguration
        public var interval: Double = 2
        public var batchSize = 500
        public var once = false
        /// `host:port` for `/health` and `/metrics`, if any.
        public var httpHost: String?
        public var httpPort = 9464
        /// The longest wait between probes of a read-only or unreachable central.
        public var maxBackoff: Double = 30
        public var databaseOptions = Database.Options()

        public init(databasePath: String, central: MySQLConfiguration) {
            self.databasePath = databasePath
            self.central = central
        }
    }

    /// Exit codes.
    public enum ExitCode {
        public static let ok: Int32 = 0
        /// `--once` found central read-only or unreachable: try again later (EX_TEMPFAIL).
        public static let centralUnavailable: Int32 = 75
    }

    let options: Options
    let logger: LineLogger
    private let metrics = DaemonMetrics()
    private let stopSignal = StopSignal()

    public init(options: Options, logger: LineLogger) {
        self.options = options
        self.logger = logger
    }

    /// Runs until stopped (or one cycle with `once`) and returns the exit code.
    public func run() throws -> Int32 {
        let lock = try InstanceLock(databasePath: options.databasePath)
        defer { withExtendedLifetime(lock) {} }
        let node = try VenueNode.open(path: options.databasePath, options: options.databaseOptions)
        let nodeID = try node.settings().nodeID
        let signals = stopSignal.install()
        defer { withExtendedLifetime(signals) {} }
        var server: HTTPServer?
        if let host = options.httpHost {
            let probe = HealthProbe(databasePath: options.databasePath, databaseOptions: options.databaseOptions, metrics: metrics)
            server = try HTTPServer(host: host, port: options.httpPort) { probe.respond(to: $0) }
            server?.start()
            logger.info("http.listening", ["address": "\(host):\(server!.port)"])
        }
        defer { server?.stop() }
        logger.info("syncd.started", ["node": nodeID, "central": options.central.description, "interval": String(options.interval),
                                      "batch": String(options.batchSize)])
        let stop = stopSignal
        let engine = SyncEngine(node: node, central: options.central, batchSize: options.batchSize, shouldStop: { stop.isSet })
        var mode = CentralMode.unknown
        var failures = 0
        var nextProbe = Date.distantPast
        repeat {
            // Writable: a full cycle. Read-only: pull only until a probe is due. Unreachable:
            // nothing until a probe is due. A probe is a full cycle.
            let probeDue = Date() >= nextProbe
            let report: CycleReport = switch (mode, probeDue) {
            case (.unreachable, false): CycleReport(mode: .unreachable, pushSkipped: true)
            case (.readOnly, false): engine.cycle(push: false)
            default: engine.cycle(push: true)
            }
            metrics.record(report)
            log(report, previous: mode)
            mode = report.mode
            if options.once { return mode == .writable && report.error == nil ? ExitCode.ok : ExitCode.centralUnavailable }
            if mode == .writable {
                failures = 0
                nextProbe = .distantPast
            } else if !report.pushSkipped {
                failures += 1
                nextProbe = Date().addingTimeInterval(backoff(failures))
            }
            stopSignal.wait(seconds: mode == .unreachable ? max(0.05, nextProbe.timeIntervalSinceNow) : options.interval)
        } while !stopSignal.isSet
        logger.info("syncd.stopped", ["node": nodeID])
        return ExitCode.ok
    }

    /// interval × 2^failures, capped, with ±50 % jitter so many nodes do not probe in step.
    func backoff(_ failures: Int) -> Double {
        let base = min(options.maxBackoff, options.interval * pow(2, Double(min(failures, 20))))
        return base * Double.random(in: 0.5...1.0)
    }

    private func log(_ report: CycleReport, previous: CentralMode) {
        if report.mode != previous {
            let level: LineLogger.Level = report.mode == .writable ? .info : .warning
            logger.log(level, "central.mode", ["mode": report.mode.rawValue, "was": previous.rawValue, "error": report.error ?? ""])
        } else if let error = report.error, report.mode == .writable {
            logger.warning("sync.retry", ["error": error])
        }
        if report.pulled > 0 { logger.info("pull.applied", ["changes": String(report.pulled)]) }
        if report.pushed > 0 {
            logger.info("push.applied", ["records": String(report.pushed), "parked": String(report.parked),
                                         "batches": String(report.pushLatencies.count)])
        }
    }
}

/// The stop flag set by SIGTERM/SIGINT, and a sleep that a signal cuts short.
final class StopSignal: @unchecked Sendable {  // `flag` behind `lock`; the semaphore is thread-safe
    private let lock = NSLock()
    private var flag = false
    private let semaphore = DispatchSemaphore(value: 0)

    var isSet: Bool { lock.withLock { flag } }

    func set() {
        lock.withLock { flag = true }
        semaphore.signal()
    }

    func wait(seconds: Double) { _ = semaphore.wait(timeout: .now() + seconds) }

    /// Routes SIGTERM and SIGINT here; keep the returned sources alive while running.
    func install() -> [DispatchSourceSignal] {
        [SIGTERM, SIGINT].map { number in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { [self] in set() }
            source.resume()
            return source
        }
    }
}

/// One daemon per database: an exclusive `flock` on `DATABASE.syncd.lock`, released by the
/// kernel however the process ends (SIGKILL included).
final class InstanceLock {
    private let descriptor: Int32

    init(databasePath: String) throws {
        let path = databasePath + ".syncd.lock"
        descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw DaemonError(message: "cannot open \(path): \(String(cString: strerror(errno)))") }
        guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
            var buffer = [UInt8](repeating: 0, count: 32)
            let count = pread(descriptor, &buffer, buffer.count, 0)
            let holder = String(decoding: buffer.prefix(max(0, count)), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            close(descriptor)
            throw DaemonError(message: "another venue-syncd is already running for \(databasePath)" + (holder.isEmpty ? "" : " (pid \(holder))"))
        }
        ftruncate(descriptor, 0)
        let pid = Array("\(getpid())\n".utf8)
        _ = pid.withUnsafeBytes { pwrite(descriptor, $0.baseAddress, $0.count, 0) }
    }

    deinit { close(descriptor) }
}

/// The daemon cannot start.
public struct DaemonError: Error, CustomStringConvertible {
    public let message: String
    public var description: String { message }
}

/// Answers `/health` and `/metrics` from a connection of its own, opened on first use. Called
/// by the HTTP thread only.
final class HealthProbe: @unchecked Sendable {  // used from the HTTP server's single thread
    let databasePath: String
    let databaseOptions: Database.Options
    let metrics: DaemonMetrics
    private var node: VenueNode?

    init(databasePath: String, databaseOptions: Database.Options, metrics: DaemonMetrics) {
        self.databasePath = databasePath
        self.databaseOptions = databaseOptions
        self.metrics = metrics
    }

    func respond(to request: HTTPRequest) -> HTTPResponse {
        switch request.path {
        case "/health": health()
        case "/metrics": metricsPage()
        default: HTTPResponse(status: 404, body: "not found: try /health or /metrics\n")
        }
    }

    private func readStatus() throws -> (String, SyncStatus) {
        if node == nil { node = try VenueNode.open(path: databasePath, options: databaseOptions) }
        do {
            return (try node!.settings().nodeID, try node!.sync.status())
        } catch {
            node = nil
            throw error
        }
    }

    private func health() -> HTTPResponse {
        do {
            let (nodeID, status) = try readStatus()
            let body = HealthBody(status: "ok", nodeID: nodeID, centralMode: status.mode.rawValue, modeSince: status.modeSince,
                                  outboxPending: status.outboxPending, oldestPendingAt: status.oldestPendingAt,
                                  lastPushAt: status.lastPushAt, lastPullAt: status.lastPullAt, lagSeconds: status.lagSeconds,
                                  parkedAtCentral: status.centralParked, parkedAtNode: status.pullParked, lastError: status.lastError)
            return HTTPResponse(status: 200, contentType: "application/json", body: JSONText.encode(body) + "\n")
        } catch {
            return HTTPResponse(status: 503, contentType: "application/json",
                                body: JSONText.encode(["status": "unavailable", "error": "node database unusable: \(error)"]) + "\n")
        }
    }

    private func metricsPage() -> HTTPResponse {
        let read = try? readStatus()
        return HTTPResponse(status: 200, contentType: "text/plain; version=0.0.4; charset=utf-8",
                            body: metrics.exposition(node: read?.0 ?? "unknown", status: read?.1))
    }
}

/// The `/health` document.
struct HealthBody: Encodable {
    let status: String
    let nodeID: String
    let centralMode: String
    let modeSince: Timestamp?
    let outboxPending: Int
    let oldestPendingAt: Timestamp?
    let lastPushAt: Timestamp?
    let lastPullAt: Timestamp?
    let lagSeconds: Int64
    let parkedAtCentral: Int
    let parkedAtNode: Int
    let lastError: String?
}
