import EventLog
import Foundation
import HTTPServer
import Mail
import SyncWire
import Ticketing

#if canImport(Glibc)
    import Glibc
#endif

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
        /// Where central is, without secrets (for the log).
        public var centralDescription: String
        public var interval: Double = 2
        public var batchSize = 500
        public var once = false
        /// `host:port` for `/health` and `/metrics`, if any.
        public var httpHost: String?
        public var httpPort = 9464
        /// The longest wait between probes of a central that is not writable.
        public var maxBackoff: Double = 30
        /// How long one sync step may take before `/health/liveness` says the loop is wedged.
        public var stallTimeout: Double = 300
        /// `diskSpace` is DOWN below this much free space.
        public var minimumFreeBytes = NodeHealth.defaultMinimumFreeBytes
        /// Where customer emails go, if this daemon delivers them (its email worker).
        public var mail: (any MailTransport)?
        /// How the node database is opened.
        public var nodeOptions = NodeOptions()

        public init(databasePath: String, centralDescription: String) {
            self.databasePath = databasePath
            self.centralDescription = centralDescription
        }
    }

    /// Exit codes.
    public enum ExitCode {
        public static let ok: Int32 = 0
        /// `--once` found central read-only, unreachable or incompatible, or the node failed: try
        /// again later (EX_TEMPFAIL).
        public static let centralUnavailable: Int32 = 75
    }

    let options: Options
    let central: any CentralEndpoint
    let logger: LineLogger
    private let metrics = DaemonMetrics()
    private let stopSignal = StopSignal()

    public init(options: Options, central: any CentralEndpoint, logger: LineLogger) {
        self.options = options
        self.central = central
        self.logger = logger
    }

    /// Runs until stopped (or one cycle with `once`) and returns the exit code.
    public func run() throws -> Int32 {
        let lock: InstanceLock
        do {
            lock = try InstanceLock(databasePath: options.databasePath, owner: "venue-syncd")
        } catch let busy as InstanceLock.Busy {
            throw DaemonError(
                message: "another \(busy.holder) is already running for \(options.databasePath)"
                    + (busy.pid.map { " (pid \($0))" } ?? ""))
        }
        defer { withExtendedLifetime(lock) {} }
        let node = try VenueNode.open(path: options.databasePath, options: options.nodeOptions)
        let nodeID = try node.settings().nodeID
        let signals = stopSignal.install()
        defer { withExtendedLifetime(signals) {} }
        let heartbeat = LoopHeartbeat(within: options.stallTimeout)
        var server: HTTPServer?
        if let host = options.httpHost {
            let probe = HealthProbe(
                databasePath: options.databasePath, nodeOptions: options.nodeOptions,
                minimumFreeBytes: options.minimumFreeBytes, metrics: metrics, heartbeat: heartbeat)
            server = try HTTPServer(host: host, port: options.httpPort) { probe.respond(to: $0) }
            server?.start()
            logger.info("http.listening", ["address": "\(host):\(server!.port)"])
        }
        defer { server?.stop() }
        logger.info(
            "syncd.started",
            [
                "node": nodeID, "central": options.centralDescription, "interval": String(options.interval),
                "batch": String(options.batchSize),
            ])
        let stop = stopSignal
        let stall = options.stallTimeout
        let engine = SyncEngine(
            node: node, central: central, batchSize: options.batchSize,
            shouldStop: {
                heartbeat.beat(within: stall)
                return stop.isSet
            })
        let email = options.mail.map {
            EmailWorker(
                databasePath: options.databasePath, nodeOptions: options.nodeOptions, transport: $0,
                interval: max(options.interval, 1), logger: logger)
        }
        if !options.once { email?.start(shouldStop: { stop.isSet }) }
        defer { email?.join(seconds: 5) }
        var mode = CentralMode.unknown
        var failures = 0
        var nextProbe = Date.distantPast
        repeat {
            // Writable: a full cycle. Read-only: pull only until a probe is due. Anything else:
            // nothing until a probe is due. A probe is a full cycle.
            let probeDue = Date() >= nextProbe
            heartbeat.beat(within: stall)
            let report: CycleReport =
                switch (mode, probeDue) {
                case (.readOnly, false): engine.cycle(push: false)
                case (.unreachable, false), (.incompatible, false), (.nodeError, false):
                    CycleReport(mode: mode, pushSkipped: true)
                default: engine.cycle(push: true)
                }
            metrics.record(report)
            log(report, previous: mode)
            mode = report.mode
            if options.once {
                email?.deliver(node)
                return mode == .writable && report.error == nil ? ExitCode.ok : ExitCode.centralUnavailable
            }
            if mode == .writable {
                failures = 0
                nextProbe = .distantPast
            } else if !report.pushSkipped {
                failures += 1
                nextProbe = Date().addingTimeInterval(backoff(failures))
            }
            let waitsForProbe = mode != .writable && mode != .readOnly
            let wait = waitsForProbe ? max(0.05, nextProbe.timeIntervalSinceNow) : options.interval
            heartbeat.beat(within: wait + stall)
            if mode == .writable {
                mode = pushCommits(
                    engine, node: node, until: Date().addingTimeInterval(wait), mode: mode, metrics: metrics)
            } else {
                stopSignal.wait(seconds: wait)
            }
        } while !stopSignal.isSet
        logger.info("syncd.stopped", ["node": nodeID])
        return ExitCode.ok
    }

    /// How often a writable daemon looks, between cycles, for a sale committed by another process.
    static let commitPoll = 0.05

    /// Waits until `deadline` (or a stop), pushing as soon as another process commits a record to
    /// the outbox (a sale at the counter) instead of at the next cycle, so that central sees a
    /// sale within `commitPoll` and a push; pulls stay once a cycle. Returns central's mode after
    /// the last push; stops waiting early when it is no longer writable.
    private func pushCommits(
        _ engine: SyncEngine, node: VenueNode, until deadline: Date, mode: CentralMode, metrics: DaemonMetrics
    ) -> CentralMode {
        var token = try? node.sync.commitToken()
        while !stopSignal.isSet, deadline.timeIntervalSinceNow > 0 {
            stopSignal.wait(seconds: min(Self.commitPoll, deadline.timeIntervalSinceNow))
            guard let now = try? node.sync.commitToken(), now != token else { continue }
            token = now
            guard (try? node.sync.hasPending()) == true else { continue }
            let report = engine.pushPending()
            metrics.record(report)
            log(report, previous: mode)
            guard report.mode == .writable else { return report.mode }
        }
        return mode
    }

    /// interval × 2^failures, capped, with ±50 % jitter so many nodes do not probe in step.
    func backoff(_ failures: Int) -> Double {
        let base = min(options.maxBackoff, options.interval * pow(2, Double(min(failures, 20))))
        return base * Double.random(in: 0.5...1.0)
    }

    private func log(_ report: CycleReport, previous: CentralMode) {
        logger.log(
            .debug, "sync.cycle",
            [
                "mode": report.mode.rawValue, "pulled": String(report.pulled), "pushed": String(report.pushed),
                "push_skipped": String(report.pushSkipped),
            ])
        if let taken = report.takenBack {
            logger.warning(
                "sync.taken_back",
                [
                    "fork": String(taken.forkSeq), "central": String(taken.centralSeq),
                    "records": String(taken.recordsTakenBack), "orders": String(taken.orders),
                    "refunds": String(taken.refunds), "renumbered": String(taken.renumbered),
                    "not_applied": String(taken.notApplied.count), "epoch": String(taken.epoch),
                    "carried_over": String(taken.carriedOver.carried),
                    "not_carried_over": String(taken.carriedOver.refused.count),
                ])
            for refused in taken.carriedOver.refused {
                logger.warning(
                    "sync.not_carried_over",
                    [
                        "seq": String(refused.seq), "type": refused.type, "entity": refused.entityID,
                        "reason": refused.reason,
                    ])
            }
        }
        for note in report.notes { logger.warning(note.event, note.fields) }
        if report.mode != previous {
            let level: LineLogger.Level = report.mode == .writable ? .info : .warning
            logger.log(
                level, "central.mode",
                [
                    "mode": report.mode.rawValue, "was": previous.rawValue, "cause": report.cause ?? "",
                    "error": report.error ?? "",
                ])
        } else if let error = report.error, !report.pushSkipped {
            logger.warning("sync.retry", ["mode": report.mode.rawValue, "cause": report.cause ?? "", "error": error])
        }
        if report.pulled > 0 { logger.info("pull.applied", ["changes": String(report.pulled)]) }
        if report.pushed > 0 {
            logger.info(
                "push.applied",
                [
                    "records": String(report.pushed), "parked": String(report.parked),
                    "batches": String(report.pushLatencies.count),
                ])
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

/// The daemon cannot start.
public struct DaemonError: Error, CustomStringConvertible {
    public let message: String
    public var description: String { message }
}

/// Answers the health and metrics paths, each request from a fresh read of the node database
/// (any number of HTTP threads may call it).
final class HealthProbe: Sendable {
    let databasePath: String
    let nodeOptions: NodeOptions
    let minimumFreeBytes: Int64
    let metrics: DaemonMetrics
    let heartbeat: LoopHeartbeat

    init(
        databasePath: String, nodeOptions: NodeOptions, minimumFreeBytes: Int64, metrics: DaemonMetrics,
        heartbeat: LoopHeartbeat
    ) {
        self.databasePath = databasePath
        self.nodeOptions = nodeOptions
        self.minimumFreeBytes = minimumFreeBytes
        self.metrics = metrics
        self.heartbeat = heartbeat
    }

    /// The paths served, Spring Boot Actuator's and Kubernetes' names both.
    static let paths = [
        "/health", "/actuator/health", "/health/liveness", "/actuator/health/liveness", "/health/readiness",
        "/actuator/health/readiness", "/metrics", "/actuator/prometheus",
    ]

    func respond(to request: HTTPRequest) -> HTTPResponse {
        let path =
            request.path.hasPrefix("/actuator/") && request.path != "/actuator/prometheus"
            ? String(request.path.dropFirst("/actuator".count)) : request.path
        switch path {
        case "/health":
            return document(HealthReport(components: everything(), deciding: NodeHealth.readiness + ["syncLoop"]))
        case "/health/liveness":
            return document(HealthReport(components: ["syncLoop": heartbeat.component()], deciding: ["syncLoop"]))
        case "/health/readiness":
            let components = everything().filter { NodeHealth.readiness.contains($0.key) }
            return document(HealthReport(components: components, deciding: NodeHealth.readiness))
        case "/metrics", "/actuator/prometheus": return metricsPage()
        default:
            return HTTPResponse(status: 404, body: "not found; try " + Self.paths.joined(separator: ", ") + "\n")
        }
    }

    private func everything() -> [String: HealthComponent] {
        var components = NodeHealth.components(
            databasePath: databasePath, options: nodeOptions, minimumFreeBytes: minimumFreeBytes)
        components["syncLoop"] = heartbeat.component()
        return components
    }

    private func document(_ report: HealthReport) -> HTTPResponse {
        HTTPResponse(status: report.status.httpStatus, contentType: "application/json", body: report.json() + "\n")
    }

    private func metricsPage() -> HTTPResponse {
        let read = try? VenueNode.open(path: databasePath, options: nodeOptions)
        let nodeID = (try? read?.settings().nodeID) ?? nil
        let status = (try? read?.sync.status()) ?? nil
        return HTTPResponse(
            status: 200, contentType: "text/plain; version=0.0.4; charset=utf-8",
            body: metrics.exposition(node: nodeID ?? "unknown", status: status))
    }
}

/// The sync loop's own sign of life: each step says by when the next will come. A loop that
/// misses its deadline is wedged (blocked on a frozen network, deadlocked) and liveness is DOWN,
/// however well the database reads.
final class LoopHeartbeat: @unchecked Sendable {  // both dates behind `lock`
    private let lock = NSLock()
    private var lastBeat = Date()
    private var deadline: Date

    init(within seconds: Double) { deadline = Date().addingTimeInterval(seconds) }

    /// The loop is alive now and will beat again within `seconds`.
    func beat(within seconds: Double) {
        let now = Date()
        lock.withLock {
            lastBeat = now
            deadline = now.addingTimeInterval(seconds)
        }
    }

    func component(now: Date = Date()) -> HealthComponent {
        let (last, deadline) = lock.withLock { (lastBeat, self.deadline) }
        let late = now.timeIntervalSince(deadline)
        var details: [String: HealthDetail] = [
            "lastBeatAt": .text(Timestamp(milliseconds: Int64(last.timeIntervalSince1970 * 1000)).description)
        ]
        if late > 0 { details["lateSeconds"] = .number(Int64(late.rounded(.up))) }
        return HealthComponent(late > 0 ? .down : .up, details)
    }
}
