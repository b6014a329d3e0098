import EdgeStore
import SyncWire

/// What taking facts back from central did.
public struct TakeBackReport: Sendable, Codable, Equatable {
    /// The last sequence number this node's history shared with central's.
    public let forkSeq: Int64
    /// The newest of this node's records central holds: the node's acknowledged sequence now.
    public let centralSeq: Int64
    /// Records taken back into the outbox and the node's tables.
    public let recordsTakenBack: Int
    public let orders: Int
    public let refunds: Int
    public let checkIns: Int
    /// Records back in the outbox that could not be written into the tables (central kept no
    /// payload for them, or it does not decode); the numbers are kept.
    public let notApplied: [Int64]
    /// Records made here after the fork, moved after central's to be pushed.
    public let renumbered: Int
    /// Holds from before the restore, released.
    public let holdsReleased: Int
    /// The facts the replaced database made that central never acknowledged, carried over after
    /// central's (see ``CarryOver``).
    public let carriedOver: CarryOverReport
    /// The epoch this database pushes under from now on.
    public let epoch: Int64
}

/// What central holds of a node's history after the fork, gathered by the daemon.
public struct CentralHistory: Sendable {
    /// The node's epoch as central knows it.
    public let centralEpoch: Int64
    /// The newest of the node's records central holds.
    public let centralSeq: Int64
    /// The node's records after the fork, oldest first.
    public let records: [OutboxRecord]
    /// The node's allocations in force at central.
    public let allocations: [AllocationInForce]
    /// Central's catalog changes after the node's pull cursor: events the taken-back sales may need.
    public let catalog: [Change]

    public init(
        centralEpoch: Int64, centralSeq: Int64, records: [OutboxRecord], allocations: [AllocationInForce],
        catalog: [Change]
    ) {
        self.centralEpoch = centralEpoch
        self.centralSeq = centralSeq
        self.records = records
        self.allocations = allocations
        self.catalog = catalog
    }
}

extension NodeSync {
    /// While the node must take facts back (after a restore, or when central found that the
    /// histories diverged): the last sequence number its history shares with central's.
    public func recoveryFork() throws -> Int64? { try state.integer(.recoveryFork) }

    /// Central found this node's history differs from its own after `fork` (a database copied back
    /// by hand): the node stops selling and takes back what central holds, as after a restore.
    public func beginRecovery(fork: Int64) throws {
        try db.write {
            let known = try state.integer(.recoveryFork)
            try state.set(.recoveryFork, min(known ?? fork, fork))
            if try state.time(.recoverySince) == nil { try state.set(.recoverySince, node.clock.now().milliseconds) }
            try node.audit.record("sync.diverged", by: "central", entity: "outbox", id: String(fork))
        }
    }

    /// Takes back, in one transaction, what central holds of this node's history after the fork:
    /// central's catalog changes first (events the lost sales need), then the records — into the
    /// outbox under their own numbers, and as orders, tickets, payments, refunds and check-ins —
    /// then the facts the replaced database made that central never acknowledged (``CarryOver``),
    /// then the allocations in force at central, with every counter recomputed. Records made here
    /// since the fork are moved after central's, and the carried facts after those. The acknowledged sequence becomes central's, the
    /// epoch moves past central's, and the node sells again.
    public func takeBack(_ history: CentralHistory) throws -> TakeBackReport {
        try db.write {
            guard let fork = try state.integer(.recoveryFork) else {
                throw TicketingError.rejected(code: "no_recovery", message: "this node has nothing to take back")
            }
            for change in history.catalog where change.type == ChangeType.catalogEvent.rawValue {
                // One that cannot apply is parked by the pull that follows.
                do {
                    try db.savepoint { _ = try ChangeApplier(node: node).apply(change) }
                } catch  where NodeFailure.isData(error) {}
            }
            let local = try db.rows(
                "SELECT record_type, entity_id, payload, created_at FROM sync_outbox WHERE seq > ? ORDER BY seq", [fork]
            )
            try db.execute("DELETE FROM sync_outbox WHERE seq > ?", [fork])
            let records = history.records.filter { $0.seq > fork }
            for record in records {
                try db.execute(
                    "INSERT INTO sync_outbox (seq, record_type, entity_id, payload, created_at) VALUES (?, ?, ?, ?, ?)",
                    [record.seq, record.type, record.entityID, record.payload, record.createdAt.milliseconds])
            }
            let base = max(history.centralSeq, records.last?.seq ?? fork, fork)
            for (offset, row) in local.enumerated() {
                try db.execute(
                    "INSERT INTO sync_outbox (seq, record_type, entity_id, payload, created_at) VALUES (?, ?, ?, ?, ?)",
                    [base + 1 + Int64(offset), row.values[0], row.values[1], row.values[2], row.values[3]])
            }
            let facts = TakenBackFacts(node: node)
            var orders = 0
            var refunds = 0
            var checkIns = 0
            var notApplied = [Int64]()
            for record in records {
                guard record.withheldBytes == nil else {
                    notApplied.append(record.seq)
                    continue
                }
                do {
                    switch try db.savepoint({ try facts.apply(record) }) {
                    case .order: orders += 1
                    case .refund: refunds += 1
                    case .checkIn: checkIns += 1
                    case .other: break
                    }
                } catch  where NodeFailure.isData(error) {
                    notApplied.append(record.seq)
                }
            }
            let carried = try CarryOver(node: node).carryKept()
            let released = try InventorySettlement(node: node).settle(history.allocations)
            let epoch = max(try state.epoch(), history.centralEpoch + 1)
            try state.set(.acknowledgedSeq, history.centralSeq)
            try state.set(.epoch, epoch)
            try state.remove(.recoveryFork)
            try state.remove(.recoverySince)
            let report = TakeBackReport(
                forkSeq: fork, centralSeq: history.centralSeq, recordsTakenBack: records.count, orders: orders,
                refunds: refunds, checkIns: checkIns, notApplied: notApplied, renumbered: local.count,
                holdsReleased: released, carriedOver: carried, epoch: epoch)
            try node.audit.record(
                "sync.taken_back", by: "central", entity: "outbox", id: String(history.centralSeq),
                detail: [
                    "fork": String(fork), "records": String(records.count), "orders": String(orders),
                    "refunds": String(refunds), "renumbered": String(local.count),
                    "not_applied": String(notApplied.count), "epoch": String(epoch),
                    "carried_over": String(carried.carried), "not_carried_over": String(carried.refused.count),
                ])
            return report
        }
    }
}
