import EventLog
import Foundation
import Mail
import SyncWire
import Synchronization
import Ticketing

/// `venue-syncd`'s email worker: delivers due customer emails through a mail transport on a thread
/// and database connection of its own, so a slow or unreachable relay never holds up sync. Each
/// email keeps its own attempts and backoff (``Notifications``).
final class EmailWorker: Sendable {
    /// The daemon as the notifications' sender: it holds the node database already.
    static let sender = Operator(id: "venue-syncd", name: "venue-syncd", role: .supervisor)

    let databasePath: String
    let nodeOptions: NodeOptions
    let transport: any MailTransport
    let interval: Double
    let logger: LineLogger
    /// Counts each round's deliveries for `/metrics`.
    let metrics: DaemonMetrics
    /// False while the thread runs.
    private let finished = Atomic<Bool>(true)

    init(
        databasePath: String, nodeOptions: NodeOptions, transport: any MailTransport, interval: Double,
        logger: LineLogger, metrics: DaemonMetrics
    ) {
        self.databasePath = databasePath
        self.nodeOptions = nodeOptions
        self.transport = transport
        self.interval = interval
        self.logger = logger
        self.metrics = metrics
        metrics.countEmails()
    }

    /// Delivers every `interval` until `shouldStop`, on a thread of its own.
    func start(shouldStop: @escaping @Sendable () -> Bool) {
        finished.store(false, ordering: .releasing)
        let thread = Thread { [self] in
            defer { finished.store(true, ordering: .releasing) }
            var node: VenueNode?
            while !shouldStop() {
                do {
                    if node == nil { node = try VenueNode.open(path: databasePath, options: nodeOptions) }
                    // Files replaced under the process: the sync loop starts the daemon again;
                    // meanwhile this connection reads what it can no longer trust.
                    if node!.detachedFiles().isEmpty { deliver(node!) }
                } catch {
                    logger.warning("email.error", ["error": "\(error)", "transport": transport.description])
                    node = nil
                }
                // The monotonic clock: a step of the wall clock does not stretch the wait.
                let until = MonotonicClock.nanoseconds() + UInt64(interval * 1e9)
                while !shouldStop(), MonotonicClock.nanoseconds() < until { Thread.sleep(forTimeInterval: 0.1) }
            }
        }
        thread.name = "email"
        thread.start()
    }

    /// Waits up to `seconds` for the thread to finish the message it is handing over. The wait is
    /// on the monotonic clock: a semaphore's timed wait ends at a time of the wall clock, which a
    /// step back would put off by as much.
    func join(seconds: Double) {
        let until = MonotonicClock.nanoseconds() + UInt64(max(0, seconds) * 1e9)
        while !finished.load(ordering: .acquiring), MonotonicClock.nanoseconds() < until {
            Thread.sleep(forTimeInterval: 0.01)
        }
    }

    /// One round of delivery on `node`, logged when anything happened.
    func deliver(_ node: VenueNode) {
        do {
            let report = try node.notifications.deliver(via: transport, by: Self.sender)
            metrics.record(report)
            guard report.delivered + report.retrying + report.failed > 0 else { return }
            logger.log(
                report.retrying + report.failed > 0 ? .warning : .info, "email.delivered",
                [
                    "delivered": String(report.delivered), "retrying": String(report.retrying),
                    "failed": String(report.failed), "transport": report.transport,
                ])
        } catch {
            logger.warning("email.error", ["error": "\(error)", "transport": transport.description])
        }
    }
}
