import Dispatch
import EdgeStore
import SyncWire
import Ticketing

/// What one sync cycle did.
public struct CycleReport: Sendable, Equatable {
    public var mode: CentralMode
    /// Why central is in that mode, when it is not plainly writable.
    public var cause: String?
    public var pulled = 0
    public var pushed = 0
    /// Records central parked in this cycle.
    public var parked = 0
    /// Seconds each push batch took, central commit included.
    public var pushLatencies: [Double] = []
    public var error: String?
    /// True when pushing was not attempted (central read-only and no probe due).
    public var pushSkipped = false
    /// Facts taken back from central after a restore, when that happened in this cycle.
    public var takenBack: TakeBackReport?
    /// The server central was reached on (a cluster member), when known.
    public var member: String?
    /// Things worth a log line: the cursor moved back, records re-sent, a divergence found.
    public var notes: [(event: String, fields: [String: String])] = []

    public static func == (lhs: CycleReport, rhs: CycleReport) -> Bool {
        lhs.mode == rhs.mode && lhs.cause == rhs.cause && lhs.pulled == rhs.pulled && lhs.pushed == rhs.pushed
            && lhs.parked == rhs.parked && lhs.error == rhs.error && lhs.pushSkipped == rhs.pushSkipped
            && lhs.takenBack == rhs.takenBack
    }
}

/// Moves data between one node and central: take back lost facts (after a restore), pull (works
/// while central is read-only), then push until the outbox is drained. An empty push is the
/// heartbeat, and the probe that finds out whether central is writable again.
///
/// Crash safety comes from the protocol, not from this class: central records `(node, seq)` in the
/// same transaction as the data, and the node moves its cursor only after central committed.
/// Killed at any point, the next cycle resends what central may or may not have, and central
/// skips what it holds. Every failure is classified once: central's by its endpoint (a
/// ``SyncFailure`` with a mode and cause), the node's own database's here (`node_error`).
public final class SyncEngine {
    let node: VenueNode
    let central: any CentralEndpoint
    let batchSize: Int
    /// Set to stop between batches (SIGTERM).
    let shouldStop: @Sendable () -> Bool

    /// An engine for `node` against `central`.
    public init(
        node: VenueNode, central: any CentralEndpoint, batchSize: Int,
        shouldStop: @escaping @Sendable () -> Bool = { false }
    ) {
        self.node = node
        self.central = central
        self.batchSize = batchSize
        self.shouldStop = shouldStop
    }

    /// Takes back, pulls, then (when `push`) pushes until drained, and records the outcome in the node.
    public func cycle(push: Bool = true) -> CycleReport {
        run { nodeID, report in
            try takeBackIfNeeded(nodeID, into: &report)
            report.pulled = try pull(nodeID, into: &report)
            if push {
                try self.push(nodeID, into: &report)
            } else {
                report.pushSkipped = true
                report.mode = .readOnly
                report.cause = CentralMode.readOnly.rawValue
            }
        }
    }

    /// Pushes what the outbox holds until drained, without pulling: for a daemon that saw a sale
    /// committed between its cycles. Records the outcome in the node, as a cycle does.
    public func pushPending() -> CycleReport {
        run { nodeID, report in try push(nodeID, into: &report) }
    }

    /// Runs `body` with the node's id, classifying what it throws into the report's mode.
    private func run(_ body: (String, inout CycleReport) throws -> Void) -> CycleReport {
        var report = CycleReport(mode: .writable)
        do {
            try joinCentral(into: &report)
            try body(try node.settings().nodeID, &report)
        } catch let failure as SyncFailure {
            report.mode = failure.mode
            report.cause = failure.cause
            report.error = failure.message
        } catch let error as StoreError {
            report.mode = .nodeError
            report.cause = error.cause
            report.error = "node database: \(error)"
        } catch {
            report.mode = .nodeError
            report.cause = "node"
            report.error = String(describing: error)
        }
        try? node.sync.recordMode(report.mode, cause: report.cause, error: report.error)
        report.member = central.member
        return report
    }

    /// Tells the endpoint which central this node joined, so that every connection checks it; a
    /// node that has not joined one yet joins the central it reaches now.
    private func joinCentral(into report: inout CycleReport) throws {
        if let joined = try node.sync.joinedCentral() {
            central.expectedIdentity = joined.identity
            return
        }
        let identity = try central.identity()
        try node.sync.join(central: identity)
        central.expectedIdentity = identity
        report.notes.append(("sync.joined", ["central": identity]))
    }

    /// After a restore (or a divergence central found), gathers what central holds of this
    /// node's history after the fork and takes it back. Reads only: works while central is read-only.
    private func takeBackIfNeeded(_ nodeID: String, into report: inout CycleReport) throws {
        guard let fork = try node.sync.recoveryFork() else { return }
        var records = [OutboxRecord]()
        var after = fork
        var page: HeldRecords
        repeat {
            page = try central.heldRecords(node: nodeID, after: after, limit: 1000)
            records += page.records
            after = page.records.last?.seq ?? after
        } while page.records.count == 1000 && !shouldStop()
        var catalog = [Change]()
        var cursor = try node.sync.pullCursor()
        var changes: ChangePage
        repeat {
            changes = try central.changes(after: cursor, node: nodeID, limit: batchSize)
            catalog += changes.changes.filter { $0.type == ChangeType.catalogEvent.rawValue }
            cursor = changes.changes.last?.seq ?? cursor
        } while changes.changes.count == batchSize && !shouldStop()
        report.takenBack = try node.sync.takeBack(
            CentralHistory(
                centralEpoch: page.centralEpoch, centralSeq: page.acknowledgedSeq,
                records: records, allocations: page.allocations, catalog: catalog))
    }

    /// Applies every change after the node's cursor; returns how many. First checks that central
    /// still holds, under the cursor's number, the change the node applied: if not, central was
    /// restored from a backup, and the cursor goes back to where both agree.
    private func pull(_ nodeID: String, into report: inout CycleReport) throws -> Int {
        var pulled = 0
        var checked = false
        while !shouldStop() {
            let cursor = try node.sync.pullCursor()
            let page = try central.changes(after: cursor, node: nodeID, limit: batchSize)
            if !checked {
                checked = true
                if try !node.sync.agrees(with: page.anchor, at: cursor) {
                    let window = try central.changes(after: max(0, cursor - 1000), node: nodeID, limit: 1000)
                    let agreed = try node.sync.rewindPull(
                        from: cursor, window: [window.anchor].compactMap { $0 } + window.changes)
                    report.notes.append(
                        (
                            "pull.rewound",
                            [
                                "was": String(cursor), "now": String(agreed),
                                "why": "central no longer holds the change this node applied as \(cursor): "
                                    + "it was restored from a backup",
                            ]
                        ))
                    continue
                }
            }
            for change in page.changes { try node.sync.apply(change) }
            pulled += page.changes.count
            if page.changes.count < batchSize { break }
        }
        try node.sync.recordPulled()
        return pulled
    }

    private func push(_ nodeID: String, into report: inout CycleReport) throws {
        var refusals = 0
        repeat {
            let batch = try node.sync.pendingBatch(limit: batchSize)
            let started = DispatchTime.now().uptimeNanoseconds
            let result = try central.push(batch)
            report.pushLatencies.append(Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9)
            switch result.outcome {
            case .accepted:
                try node.sync.acknowledge(result)
                report.pushed += result.applied + result.parked
                report.parked += result.parked
                if batch.records.isEmpty || batch.outboxPendingAfter == 0 { return try recordParked(nodeID) }
                continue
            case .gap:
                try node.sync.rewind(to: result.acknowledgedSeq)
                report.notes.append(
                    (
                        "push.resend",
                        [
                            "from": String(result.acknowledgedSeq + 1), "was": String(batch.records.first?.seq ?? 0),
                            "why": "central holds this node's records only up to \(result.acknowledgedSeq)",
                        ]
                    ))
            case .diverged:
                let fork = (result.divergedAt ?? result.acknowledgedSeq + 1) - 1
                try node.sync.beginRecovery(fork: fork)
                report.notes.append(
                    ("push.diverged", ["fork": String(fork), "central": String(result.acknowledgedSeq)]))
                try takeBackIfNeeded(nodeID, into: &report)
            case .staleEpoch:
                throw SyncFailure(
                    mode: .nodeError, cause: "stale_epoch",
                    message: "central knows node \(nodeID) at epoch "
                        + "\(result.centralEpoch), this database is at epoch \(batch.epoch): it was replaced by a restore "
                        + "elsewhere and must not push; stop this daemon")
            }
            refusals += 1
            guard refusals <= 3 else {
                throw SyncFailure(
                    mode: .nodeError, cause: "refused",
                    message: "central keeps refusing this node's pushes (\(result.outcome.rawValue))")
            }
        } while !shouldStop()
    }

    private func recordParked(_ nodeID: String) throws {
        try node.sync.recordCentralParked(try central.parkedCount(node: nodeID))
    }
}
