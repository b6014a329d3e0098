import Central
import Dispatch
import MySQLClient
import SyncWire
import Ticketing

/// What one sync cycle did.
public struct CycleReport: Sendable, Equatable {
    public var mode: CentralMode
    public var pulled = 0
    public var pushed = 0
    /// Records central parked in this cycle.
    public var parked = 0
    /// Seconds each push batch took, central commit included.
    public var pushLatencies: [Double] = []
    public var error: String?
    /// True when pushing was not attempted (central read-only and no probe due).
    public var pushSkipped = false
}

/// Moves data between one node and central: pull (works while central is read-only), then push
/// until the outbox is drained. An empty push is the heartbeat, and the probe that finds out
/// whether central is writable again.
///
/// Crash safety comes from the protocol, not from this class: central records `(node, seq)` in the
/// same transaction as the data, and the node advances its cursor only after central committed.
/// Killed at any point, the next cycle resends what central may or may not have, and central
/// skips what it has.
public final class SyncEngine {
    let node: VenueNode
    let link: CentralLink
    let batchSize: Int
    /// Set to stop between batches (SIGTERM).
    let shouldStop: @Sendable () -> Bool

    /// An engine for `node` against central at `configuration`.
    public init(node: VenueNode, central configuration: MySQLConfiguration, batchSize: Int,
                shouldStop: @escaping @Sendable () -> Bool = { false }) {
        self.node = node
        link = CentralLink(configuration: configuration)
        self.batchSize = batchSize
        self.shouldStop = shouldStop
    }

    /// Pulls, then (when `push`) pushes until drained, and records the outcome in the node.
    public func cycle(push: Bool = true) -> CycleReport {
        var report = CycleReport(mode: .writable)
        do {
            report.pulled = try pull()
            if push {
                try self.push(into: &report)
            } else {
                report.pushSkipped = true
                report.mode = .readOnly
            }
        } catch let error as MySQLError {
            report.error = error.description
            switch error.kind {
            case .readOnly: report.mode = .readOnly
            case .cannotConnect, .connectionLost, .accessDenied: report.mode = .unreachable
            case .deadlock, .lockWaitTimeout: report.mode = .writable
            default:
                report.mode = .unreachable
                link.reset()
            }
        } catch {
            report.error = String(describing: error)
            report.mode = .unreachable
            link.reset()
        }
        try? node.sync.recordMode(report.mode, error: report.error)
        return report
    }

    /// Applies every change after the node's cursor; returns how many.
    private func pull() throws -> Int {
        let nodeID = try node.settings().nodeID
        var pulled = 0
        while !shouldStop() {
            let cursor = try node.sync.pullCursor()
            let changes = try link.withConnection { try ChangeFeed(connection: $0).changes(after: cursor, node: nodeID, limit: batchSize) }
            for change in changes { try node.sync.apply(change) }
            pulled += changes.count
            if changes.count < batchSize { break }
        }
        try node.sync.recordPulled()
        return pulled
    }

    private func push(into report: inout CycleReport) throws {
        repeat {
            let batch = try node.sync.pendingBatch(limit: batchSize)
            let started = DispatchTime.now().uptimeNanoseconds
            let result = try link.withConnection { try PushReceiver(connection: $0).apply(batch, now: node.clock.now()) }
            report.pushLatencies.append(Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9)
            try node.sync.acknowledge(result)
            report.pushed += result.applied + result.parked
            report.parked += result.parked
            if batch.records.isEmpty || batch.outboxPendingAfter == 0 { break }
        } while !shouldStop()
        let parked = try link.withConnection { connection in
            try connection.scalar("SELECT records_parked FROM node WHERE id = ?", [try node.settings().nodeID], as: Int.self) ?? 0
        }
        try node.sync.recordCentralParked(parked)
    }
}
