import EdgeCrypto
import EdgeStore
import FoundationEssentials
import Glibc
import SyncWire

/// Who may restore: an admin's session on the database being replaced, or, when that database
/// cannot be opened (the usual reason to restore), an admin's password checked against the snapshot.
public enum RestoreAuthority: Sendable {
    case session(token: String)
    case password(name: String, password: String)
}

/// What `restore` did.
public struct RestoreOutcome: Sendable, Codable, Equatable {
    public let nodeID: String
    public let snapshot: String
    /// Where the replaced database was kept (nil when there was none).
    public let replacedFile: String?
    /// The epoch the restored database pushes under.
    public let epoch: Int64
    /// True when the node must first take back from central the facts it made after the
    /// snapshot: it does not sell until `venue-syncd` has done so.
    public let recoveryPending: Bool
    /// The snapshot's newest outbox record: central's records after it are taken back.
    public let snapshotSeq: Int64
    /// The facts the replaced database made that central never acknowledged, carried over now
    /// (a node with nothing to take back first); nil when none were.
    public let carriedOver: CarryOverReport?
    /// Facts central never acknowledged, kept to be carried over once the node has taken back
    /// what central holds, and the sales among them.
    public let toCarryOver: Int
    public let salesToCarryOver: Int
    /// Facts central never acknowledged that were dropped as asked, and the sales among them
    /// (the replaced database keeps them).
    public let discarded: Int
    public let salesDiscarded: Int
    /// True when the replaced database could not be read, so that what it held that central never
    /// acknowledged was dropped unseen (as asked).
    public let unpushedUnknown: Bool
    /// Staff accounts, ended sessions and cash drawers carried over from the replaced database
    /// (``CounterCarryOver``); nil when there was none or it could not be read.
    public let counter: CounterCarryOverReport?
}

/// What a node database says about itself, read without changing it.
struct DatabaseFacts {
    let nodeID: String
    let epoch: Int64
    /// It has talked to central (so central may hold facts a snapshot lacks).
    let hasSynced: Bool
    let newestSeq: Int64
    /// What it made that central never acknowledged (read only when asked).
    let unacknowledged: [OutboxRecord]

    /// Reads `path` read-only; with `verify`, runs `PRAGMA integrity_check` and refuses a schema
    /// newer than this build's; with `unacknowledged`, reads the facts central never acknowledged.
    static func read(_ path: String, verify: Bool, unacknowledged: Bool = false) throws -> DatabaseFacts {
        var options = Database.Options()
        options.readOnly = true
        let db = try Database(path: path, options: options)
        if verify {
            let problems = try db.rows("PRAGMA integrity_check").map { try $0.get(0, as: String.self) }
            guard problems == ["ok"] else {
                throw TicketingError.rejected(
                    code: "snapshot_damaged",
                    message: "\(path) fails its integrity check: "
                        + SyncLimits.clip(problems.joined(separator: "; "), to: 200))
            }
            _ = try NodeSchema.migrator.status(db)
        }
        guard let settings = try NodeSettings.load(db) else {
            throw TicketingError.rejected(code: "not_a_node_snapshot", message: "\(path) is not a node database")
        }
        let state = SyncState(db: db)
        return DatabaseFacts(
            nodeID: settings.nodeID, epoch: try state.epoch(),
            hasSynced: try state.integer(.lastPushAt) != nil || (try state.integer(.acknowledgedSeq) ?? 0) > 0,
            newestSeq: try db.scalar("SELECT coalesce(max(seq), 0) FROM sync_outbox") ?? 0,
            unacknowledged: unacknowledged ? try CarryOver.unacknowledged(in: db) : [])
    }
}

extension VenueNode {
    /// Replaces the database's content with a snapshot taken by `boxoffice backup` or `migrate`.
    ///
    /// Refused while `venue-syncd` (or another restore) holds the database, for a snapshot that
    /// fails its integrity check, is newer than this build, or belongs to another node. The
    /// replaced database is kept next to it (`PATH.replaced-TIME.sqlite`). The restored database
    /// starts a new epoch; when this node ever synced, it also must take back from central the
    /// facts it made after the snapshot before it sells again (``NodeSync/takeBack(_:)``).
    /// Other connections see the old content or the new, never a mix; writers wait from the
    /// reading of what the database holds until it is replaced (``EdgeStore/Database/restore(from:whileWritersWait:)``),
    /// so that a sale is either carried over or made in the restored database.
    ///
    /// What the replaced database made that central never acknowledged (sales with receipts
    /// printed, refunds, check-ins) is carried over (``CarryOver``): at once when there is
    /// nothing to take back, else after the take-back. Only with `discardingUnpushed` is it
    /// dropped instead; a replaced database that cannot be read is refused without it, since
    /// what it holds cannot be carried over.
    public static func restore(
        path: String, from snapshot: String, authority: RestoreAuthority, discardingUnpushed: Bool = false,
        options: NodeOptions = NodeOptions(),
        clock: any WallClock = SystemWallClock()
    ) throws -> RestoreOutcome {
        guard FileManager.default.fileExists(atPath: snapshot) else {
            throw TicketingError.notFound("no snapshot at \(snapshot)")
        }
        let lock: InstanceLock
        do {
            lock = try InstanceLock(databasePath: path, owner: "boxoffice restore")
        } catch let busy as InstanceLock.Busy {
            throw TicketingError.rejected(
                code: "database_in_use",
                message: "\(busy.holder) is running for \(path)"
                    + (busy.pid.map { " (pid \($0))" } ?? "") + "; stop it before restoring")
        }
        defer { withExtendedLifetime(lock) {} }
        let incoming = try DatabaseFacts.read(snapshot, verify: true)
        let exists = FileManager.default.fileExists(atPath: path)
        var current: DatabaseFacts?
        var unreadable: (any Error)?
        if exists {
            do { current = try DatabaseFacts.read(path, verify: false) } catch { unreadable = error }
        }
        try authorize(authority, current: current == nil ? nil : path, snapshot: snapshot, clock: clock)
        if let unreadable, !discardingUnpushed {
            throw TicketingError.rejected(
                code: "unpushed_unknown",
                message: "\(path) cannot be read (\(SyncLimits.clip("\(unreadable)", to: 200))), so what it holds that "
                    + "central never acknowledged (sales with receipts among it) cannot be carried over: restoring would "
                    + "drop it; nothing was changed")
        }
        if let current, current.nodeID != incoming.nodeID {
            throw TicketingError.rejected(
                code: "other_node",
                message: "\(snapshot) is a snapshot of node \(incoming.nodeID); "
                    + "\(path) is node \(current.nodeID)")
        }
        let now = clock.now()
        let keep = exists ? "\(path).replaced-\(now.description.replacing(":", with: "")).sqlite" : nil
        // The snapshot is prepared in a copy first, so the database is only ever replaced by a
        // complete, marked one.
        let staging = path + ".restoring"
        let stagingFiles = ["", "-wal", "-shm", "-writer"].map { staging + $0 }
        for file in stagingFiles { unlink(file) }
        defer { for file in stagingFiles { unlink(file) } }
        var readOnly = Database.Options()
        readOnly.readOnly = true
        try Database(path: snapshot, options: readOnly).backup(to: staging)
        let target: VenueNode
        if unreadable != nil {
            // Its files are kept as they are; not even SQLite may open it: the snapshot then takes its place.
            if let keep { try keepReplaced(path, at: keep) }
            do { target = try openForSetup(path: path, options: options, clock: clock) } catch {
                for suffix in ["", "-wal", "-shm"] { unlink(path + suffix) }
                target = try openForSetup(path: path, options: options, clock: clock)
            }
        } else {
            target = try openForSetup(path: path, options: options, clock: clock)
        }
        try Database(path: staging).changePageSize(to: try target.database.pageSize())
        let prepared = try openForSetup(path: staging, options: options, clock: clock)
        var outcome: RestoreOutcome?
        // From the reading of what the database holds until its content is replaced, no sale can
        // be committed to it: every one is carried over, or waits and goes into the snapshot.
        try target.database.restore(
            from: staging,
            whileWritersWait: {
                let readable = unreadable == nil && exists
                let held = readable ? try DatabaseFacts.read(path, verify: false, unacknowledged: true) : nil
                let counter = readable ? try CounterCarryOver.read(path, sessionsOpenIn: prepared.database) : nil
                outcome = try prepare(
                    prepared, incoming: incoming, replacing: held, counter: counter, keptAt: keep, snapshot: snapshot,
                    discardingUnpushed: discardingUnpushed, unreadable: unreadable != nil, now: now)
                if let keep, unreadable == nil { try keepReplaced(path, at: keep) }
            })
        guard let outcome else {
            throw TicketingError.rejected(code: "restore", message: "the restore prepared nothing")
        }
        return outcome
    }

    /// Marks the snapshot in `prepared` with its new epoch and what the database it replaces
    /// (`current`, nil when there is none or it cannot be read; kept at `replaced`) made that
    /// central never acknowledged: carried over now, kept for after the take-back, or dropped as
    /// asked. Its staff accounts and drawers (`counter`) are carried over first, whatever is asked.
    private static func prepare(
        _ prepared: VenueNode, incoming: DatabaseFacts, replacing current: DatabaseFacts?, counter: CounterCarryOver?,
        keptAt replaced: String?, snapshot: String, discardingUnpushed: Bool, unreadable: Bool, now: Timestamp
    ) throws -> RestoreOutcome {
        let epoch = max(current?.epoch ?? 0, incoming.epoch) + 1
        let recovery = incoming.hasSynced || current?.hasSynced == true
        // What the snapshot holds already is neither carried over nor dropped.
        let unpushed = try CarryOver(node: prepared).lacking(current?.unacknowledged ?? [])
        let carried = discardingUnpushed ? [] : unpushed
        let discarded = discardingUnpushed ? unpushed : []
        func sales(_ facts: [OutboxRecord]) -> Int {
            facts.filter { $0.type == SyncRecordType.orderPlaced.rawValue }.count
        }
        var counterReport: CounterCarryOverReport?
        let carriedNow: CarryOverReport? = try prepared.database.write {
            let state = SyncState(db: prepared.database)
            try state.set(.epoch, epoch)
            counterReport = try counter?.carry(into: prepared)
            var report: CarryOverReport?
            if recovery {
                try state.set(.recoveryFork, incoming.newestSeq)
                try state.set(.recoverySince, now.milliseconds)
                try CarryOver(node: prepared).keep(carried)
            } else if !carried.isEmpty {
                report = try CarryOver(node: prepared).carry(carried)
                if report?.carried ?? 0 > 0 { _ = try InventorySettlement(node: prepared).settle([]) }
            }
            try prepared.audit.record(
                "node.restored", by: "restore", entity: "node", id: incoming.nodeID,
                detail: [
                    "snapshot": snapshot, "epoch": String(epoch), "recovery": String(recovery),
                    "unpushed": String(unpushed.count), "carried_over": String(report?.carried ?? 0),
                    "to_carry_over": String(recovery ? carried.count : 0), "discarded": String(discarded.count),
                    "unpushed_unknown": String(unreadable),
                    "accounts_carried_over": String(
                        (counterReport?.accountsAdded ?? 0) + (counterReport?.accountsUpdated ?? 0)),
                    "drawers_carried_over": String(counterReport?.drawers ?? 0),
                ])
            return report
        }
        return RestoreOutcome(
            nodeID: incoming.nodeID, snapshot: snapshot, replacedFile: replaced, epoch: epoch,
            recoveryPending: recovery, snapshotSeq: incoming.newestSeq, carriedOver: carriedNow,
            toCarryOver: recovery ? carried.count : 0, salesToCarryOver: recovery ? sales(carried) : 0,
            discarded: discarded.count, salesDiscarded: sales(discarded), unpushedUnknown: unreadable,
            counter: counterReport)
    }

    /// A consistent copy of the database being replaced; when it cannot be read as a database,
    /// its files as they are.
    private static func keepReplaced(_ path: String, at destination: String) throws {
        var readOnly = Database.Options()
        readOnly.readOnly = true
        do {
            try Database(path: path, options: readOnly).backup(to: destination)
        } catch {
            for suffix in ["", "-wal"] where FileManager.default.fileExists(atPath: path + suffix) {
                try FileManager.default.copyItem(atPath: path + suffix, toPath: destination + suffix)
                chmod(destination + suffix, 0o600)
            }
        }
    }

    private static func authorize(
        _ authority: RestoreAuthority, current: String?, snapshot: String, clock: any WallClock
    ) throws {
        var readOnly = Database.Options()
        readOnly.readOnly = true
        switch authority {
        case .session(let token):
            guard let current else {
                throw TicketingError.notLoggedIn(
                    "the database to replace cannot be opened, so a session on it cannot be checked; "
                        + "give an admin's name and password instead, checked against the snapshot")
            }
            let node = VenueNode(database: try Database(path: current, options: readOnly), clock: clock)
            try node.users.authenticate(token: token).require(.admin, to: "restoring a snapshot")
        case .password(let name, let password):
            let node = VenueNode(database: try Database(path: snapshot, options: readOnly), clock: clock)
            let stored: String? = try node.database.scalar(
                "SELECT password_hash FROM staff WHERE name = ? AND disabled = 0", [name])
            guard PasswordHash.verify(password: password, against: stored ?? Users.decoyHash), stored != nil else {
                throw TicketingError.notLoggedIn("wrong user name or password (checked against the snapshot)")
            }
            guard let row = try node.database.row("SELECT role FROM staff WHERE name = ?", [name]) else {
                throw TicketingError.notLoggedIn("wrong user name or password (checked against the snapshot)")
            }
            try Operator(id: name, name: name, role: try row.get("role")).require(.admin, to: "restoring a snapshot")
        }
    }
}
