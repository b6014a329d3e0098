import Foundation
import SyncWire
import Synchronization
import Ticketing

/// Counters and the push-latency histogram, shared by the sync thread and the email worker
/// (writes) and the HTTP thread (reads).
final class DaemonMetrics: Sendable {
    static let bucketBounds: [Double] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]

    /// What the daemon counted so far; read as one copy, so an exposition is consistent.
    private struct Counts {
        var pushed = 0, pulled = 0, cycles = 0, errors = 0
        var buckets = [Int](repeating: 0, count: DaemonMetrics.bucketBounds.count)
        var latencyCount = 0
        var latencySum = 0.0
        var mode: CentralMode = .unknown
        /// Emails handed to the relay, by outcome; nil when the daemon delivers no email.
        var emails: [String: Int]?
        /// The server central was last reached on (a cluster member's `host:port`).
        var centralMember: String?
    }

    private let counts = Mutex(Counts())

    /// The space where the node database lives, and the free space below which `diskSpace` is DOWN.
    struct Disk {
        let free: Int64
        let total: Int64
        let minimumFree: Int64
    }

    /// Counts emails from now on (the daemon runs an email worker).
    func countEmails() {
        counts.withLock { $0.emails = $0.emails ?? ["delivered": 0, "retrying": 0, "failed": 0] }
    }

    /// One round of the email worker: delivered, failed and to be retried, failed for good.
    func record(_ delivery: DeliveryReport) {
        counts.withLock {
            $0.emails?["delivered", default: 0] += delivery.delivered
            $0.emails?["retrying", default: 0] += delivery.retrying
            $0.emails?["failed", default: 0] += delivery.failed
        }
    }

    /// The server central was last reached on (a cluster member's `host:port`).
    var member: String? { counts.withLock { $0.centralMember } }

    func record(_ report: CycleReport) {
        counts.withLock { counts in
            counts.cycles += 1
            counts.pushed += report.pushed
            counts.pulled += report.pulled
            if report.error != nil { counts.errors += 1 }
            counts.mode = report.mode
            if let member = report.member { counts.centralMember = member }
            for latency in report.pushLatencies {
                counts.latencyCount += 1
                counts.latencySum += latency
                for (index, bound) in Self.bucketBounds.enumerated() where latency <= bound {
                    counts.buckets[index] += 1
                }
            }
        }
    }

    /// Prometheus text exposition format 0.0.4; with `showingCentral`, the server central was
    /// last reached on (its host and port).
    func exposition(node: String, status: SyncStatus?, disk: Disk?, showingCentral: Bool) -> String {
        let counts = counts.withLock { $0 }
        let label = "node=\"\(node)\""
        var lines = [String]()
        func metric(_ name: String, _ type: String, _ help: String, _ samples: [(String, String)]) {
            lines.append("# HELP \(name) \(help)")
            lines.append("# TYPE \(name) \(type)")
            for (labels, value) in samples { lines.append("\(name){\(labels)} \(value)") }
        }
        metric(
            "venue_sync_records_pushed_total", "counter", "Outbox records central stored (applied or parked).",
            [(label, "\(counts.pushed)")])
        metric(
            "venue_sync_records_pulled_total", "counter", "Changes pulled from central and applied.",
            [(label, "\(counts.pulled)")])
        metric("venue_sync_cycles_total", "counter", "Sync cycles run.", [(label, "\(counts.cycles)")])
        metric(
            "venue_sync_errors_total", "counter", "Sync cycles that ended with an error.", [(label, "\(counts.errors)")]
        )
        metric(
            "venue_sync_central_mode", "gauge", "1 for the mode central is in as last seen.",
            CentralMode.allCases.map { ("\(label),mode=\"\($0.rawValue)\"", $0 == counts.mode ? "1" : "0") })
        if showingCentral, let centralMember = counts.centralMember {
            metric(
                "venue_sync_central_member", "gauge",
                "1 for the server (cluster member) central was last reached on.",
                [("\(label),member=\"\(centralMember)\"", "1")])
        }
        if let status {
            metric(
                "venue_sync_outbox_pending", "gauge", "Outbox records central has not acknowledged.",
                [(label, "\(status.outboxPending)")])
            metric(
                "venue_sync_lag_seconds", "gauge", "Age of the oldest unacknowledged outbox record.",
                [(label, "\(status.lagSeconds)")])
            metric(
                "venue_sync_parked_records", "gauge", "Records that could never be applied, kept with their error.",
                [
                    ("\(label),side=\"central\"", "\(status.centralParked)"),
                    ("\(label),side=\"node\"", "\(status.pullParked)"),
                ])
            metric(
                "venue_sync_last_push_timestamp_seconds", "gauge", "When central last acknowledged a push.",
                [(label, status.lastPushAt.map { String(Double($0.milliseconds) / 1000) } ?? "0")])
            metric(
                "venue_sync_last_pull_timestamp_seconds", "gauge", "When the node last pulled.",
                [(label, status.lastPullAt.map { String(Double($0.milliseconds) / 1000) } ?? "0")])
            metric(
                "venue_sync_epoch", "gauge", "This database's epoch: moved on by every restore.",
                [(label, "\(status.epoch)")])
            if let offset = status.clockOffsetSeconds {
                metric(
                    "venue_sync_clock_offset_seconds", "gauge",
                    "How far this node's clock was ahead of central's (negative: behind) at the last push.",
                    [(label, "\(offset)")])
            }
        }
        if let disk {
            metric(
                "venue_node_disk_available_bytes", "gauge",
                "Space the daemon may still write where the node database lives.", [(label, "\(disk.free)")])
            metric(
                "venue_node_disk_size_bytes", "gauge", "Size of the file system holding the node database.",
                [(label, "\(disk.total)")])
            metric(
                "venue_node_disk_threshold_bytes", "gauge",
                "Free space below which health's diskSpace is DOWN and the node stops selling (--min-free-mb).",
                [(label, "\(disk.minimumFree)")])
        }
        if let emails = counts.emails {
            metric(
                "venue_email_deliveries_total", "counter",
                "Customer emails handed to the mail transport, by result: delivered, retrying (failed, tried "
                    + "again later) or failed (given up).",
                emails.keys.sorted().map { ("\(label),result=\"\($0)\"", "\(emails[$0]!)") })
        }
        lines.append("# HELP venue_sync_push_batch_seconds Time to push one batch, central commit included.")
        lines.append("# TYPE venue_sync_push_batch_seconds histogram")
        for (index, bound) in Self.bucketBounds.enumerated() {
            lines.append("venue_sync_push_batch_seconds_bucket{\(label),le=\"\(bound)\"} \(counts.buckets[index])")
        }
        lines.append("venue_sync_push_batch_seconds_bucket{\(label),le=\"+Inf\"} \(counts.latencyCount)")
        lines.append("venue_sync_push_batch_seconds_sum{\(label)} \(counts.latencySum)")
        lines.append("venue_sync_push_batch_seconds_count{\(label)} \(counts.latencyCount)")
        return lines.joined(separator: "\n") + "\n"
    }
}
