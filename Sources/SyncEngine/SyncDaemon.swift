import EdgeStore
import EventLog
import Foundation
import HTTPServer
import Mail
import NodeAPI
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
        /// Where to serve `/health`, `/metrics` and `/actuator`, if anywhere.
        public var listen: ListenAddress?
        /// The listener's limits; a request's body up to what the largest request, a scanner's
        /// admissions, may hold.
        public var server: HTTPServer.Configuration = {
            var configuration = HTTPServer.Configuration()
            configuration.maximumBodyBytes = ScannerAdmissions.maximumBytes
            return configuration
        }()
        /// Who sees the details of health components.
        public var healthDetails = HealthDetailsVisibility.loopback
        /// Reverse proxies whose `X-Forwarded-For` names the client.
        public var trustedProxies: Set<String> = []
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

    /// How a run ended.
    public enum Outcome: Sendable, Equatable {
        /// Stopped (a signal, or `--once` done) with this exit code.
        case exited(Int32)
        /// The database's files were deleted or replaced under the daemon: every connection of
        /// the process to them must go (SQLite's shared memory is kept per database file and
        /// process, so a new connection beside the old ones would read the deleted one's). The
        /// daemon has stopped its listener and email worker; the caller starts the process again
        /// from scratch (``VenueSyncd`` re-executes itself).
        case restart(reason: String)
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

    /// Runs until stopped (or one cycle with `once`), or until the database's files are replaced
    /// under it.
    public func run() throws -> Outcome {
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
        let server = try startServer(heartbeat: heartbeat)
        defer { server?.stop() }
        let restarting = Restarting(
            stopSignal: stopSignal, server: server, logger: logger, database: options.databasePath)
        // Whichever connection finds the files detached as it commits (a till's sale, the email
        // worker, the sync thread) has the daemon start again at once.
        DetachedCommits.notify { _, files in restarting.request(files.map(\.description)) }
        defer {
            DetachedCommits.notify(nil)
            restarting.waitForListener()
        }
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
                interval: max(options.interval, 1), logger: logger, metrics: metrics)
        }
        if !options.once { email?.start(shouldStop: { stop.isSet }) }
        defer { email?.join(seconds: 5) }
        let notifier = ServiceNotifier()
        if !options.once {
            notifier.ready(status: "syncing node \(nodeID) with \(options.centralDescription)")
            notifier.startWatchdog { heartbeat.component().status == .up }
        }
        var mode = CentralMode.unknown
        var failures = 0
        // Every interval, backoff and deadline is on the monotonic clock: a step of the wall
        // clock neither stalls the loop nor hurries it.
        var nextProbe: UInt64 = 0
        var nextHousekeeping: UInt64 = 0
        repeat {
            if detached(node, restarting) { break }
            if MonotonicClock.nanoseconds() >= nextHousekeeping {
                // The API's kept answers serve retries, which come within minutes: a week is plenty.
                do { try node.forgetKeptAnswers() } catch { logger.warning("api.forget_failed", ["error": "\(error)"]) }
                nextHousekeeping = MonotonicClock.nanoseconds() + 3_600_000_000_000
            }
            // Writable: a full cycle. Read-only: pull only until a probe is due. Anything else:
            // nothing until a probe is due. A probe is a full cycle.
            let probeDue = MonotonicClock.nanoseconds() >= nextProbe
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
                return .exited(
                    mode == .writable && report.error == nil ? ExitCode.ok : ExitCode.centralUnavailable)
            }
            if mode == .writable {
                failures = 0
                nextProbe = 0
            } else if !report.pushSkipped {
                failures += 1
                nextProbe = MonotonicClock.nanoseconds() + UInt64(backoff(failures) * 1e9)
            }
            let waitsForProbe = mode != .writable && mode != .readOnly
            let wait =
                waitsForProbe
                ? max(0.05, Double(Int64(bitPattern: nextProbe &- MonotonicClock.nanoseconds())) / 1e9)
                : options.interval
            heartbeat.beat(within: wait + stall)
            if mode == .writable {
                mode = pushCommits(
                    engine, node: node, until: MonotonicClock.nanoseconds() + UInt64(wait * 1e9), mode: mode,
                    metrics: metrics)
            } else {
                waitWatchingFiles(node, seconds: wait)
            }
        } while !stopSignal.isSet
        if let reason = stopSignal.restartReason { return .restart(reason: reason) }
        notifier.stopping()
        logger.info("syncd.stopped", ["node": nodeID])
        return .exited(ExitCode.ok)
    }

    /// Starts the listener for the API, health, metrics and the index, when one is configured.
    private func startServer(heartbeat: LoopHeartbeat) throws -> HTTPServer? {
        guard let address = options.listen else { return nil }
        let health = HealthEndpoints(
            databasePath: options.databasePath, nodeOptions: options.nodeOptions,
            minimumFreeBytes: options.minimumFreeBytes, metrics: metrics, heartbeat: heartbeat,
            visibility: options.healthDetails, clients: ClientAddresses(trustedProxies: options.trustedProxies))
        var configuration = options.server
        configuration.unlimitedPeers = options.trustedProxies
        let api = NodeAPI(
            databasePath: options.databasePath, options: options.nodeOptions,
            clients: ClientAddresses(trustedProxies: options.trustedProxies))
        let server = try HTTPServer(
            listening: address, configuration: configuration, handler: DaemonHTTPHandler(health: health, api: api))
        server.start()
        logger.info("http.listening", ["address": server.address.description])
        return server
    }

    /// True, and a restart asked for, when the database file, WAL or shared memory the sync
    /// thread's connection has open was deleted or replaced (another process believed itself the
    /// last one and removed the WAL, or a file was moved over the database): what it wrote there
    /// no other process would read, and what they commit it would not see.
    private func detached(_ node: VenueNode, _ restarting: Restarting) -> Bool {
        watchWritersQueue(node)
        let files = node.detachedFiles()
        guard !files.isEmpty else { return false }
        restarting.request(files)
        return true
    }

    /// Sleeps `seconds` (or until stopped), looking at the database's files every second, so that a
    /// long backoff does not leave the daemon on a deleted WAL.
    private func waitWatchingFiles(_ node: VenueNode, seconds: Double) {
        let deadline = MonotonicClock.nanoseconds() + UInt64(max(0, seconds) * 1e9)
        while !stopSignal.isSet, node.detachedFiles().isEmpty {
            watchWritersQueue(node)
            let now = MonotonicClock.nanoseconds()
            guard now < deadline else { return }
            stopSignal.wait(seconds: min(1, Double(deadline - now) / 1e9))
        }
    }

    /// Looks at the writers' queue file between writes (``Database/checkWritersQueue()``: one
    /// replaced, written over, truncated or given a second name is left for a sound one) and logs
    /// once each what befell the queue files of this process's connections, whichever process
    /// did it: a replacement (its reason), writers without a queue, and a queue again.
    private func watchWritersQueue(_ node: VenueNode) {
        node.checkWritersQueue()
        for incident in WriterQueueIncidents.drain() {
            let level: LineLogger.Level =
                switch incident.event {
                case .replaced: .warning
                case .unqueued: .error
                case .queued: .info
                }
            logger.log(
                level, "store.writer_queue",
                [
                    "incident": incident.event.rawValue, "file": incident.file, "reason": incident.reason,
                    "at": Timestamp(milliseconds: incident.milliseconds).description,
                ])
        }
    }

    /// How often a writable daemon looks, between cycles, for a sale committed by another process.
    static let commitPoll = 0.05

    /// Waits until `deadline` (monotonic nanoseconds) or a stop, pushing as soon as another
    /// process commits a record to the outbox (a sale at the counter) instead of at the next
    /// cycle, so that central sees a sale within `commitPoll` and a push; pulls stay once a cycle.
    /// Returns central's mode after the last push; stops waiting early when it is no longer
    /// writable or the database's files were replaced (the loop then starts the daemon again).
    private func pushCommits(
        _ engine: SyncEngine, node: VenueNode, until deadline: UInt64, mode: CentralMode, metrics: DaemonMetrics
    ) -> CentralMode {
        var token = try? node.sync.commitToken()
        while !stopSignal.isSet {
            let now = MonotonicClock.nanoseconds()
            guard now < deadline else { break }
            stopSignal.wait(seconds: min(Self.commitPoll, Double(deadline - now) / 1e9))
            if !node.detachedFiles().isEmpty { break }
            watchWritersQueue(node)
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
                    "error": report.error ?? "", "member": report.member ?? "",
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

/// The daemon cannot start.
public struct DaemonError: Error, CustomStringConvertible {
    public let message: String
    public var description: String { message }
}
