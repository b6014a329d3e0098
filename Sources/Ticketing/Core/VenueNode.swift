import AtomicFiles
import EdgeStore
import FoundationEssentials
import SyncWire

/// A venue node: its SQLite database, clock and id source, and the services over them.
///
/// This is the one place that opens the store. Services are cheap views; each operation that
/// changes state runs in a single `BEGIN IMMEDIATE` transaction that also writes its audit row,
/// notification and sync outbox record.
///
/// ```swift
/// let node = try VenueNode.open(path: "venue.sqlite")
/// let staff = try node.users.authenticate(token: token)
/// let receipt = try node.sales.sell(SaleRequest(…), by: staff)
/// ```
public final class VenueNode {
    /// The connection; one per process or thread.
    let database: Database
    /// Where time comes from.
    public let clock: any WallClock
    /// Where identifiers come from.
    public let ids: Identifiers
    /// What this connection keeps between statements, each with the rule that says when it is
    /// stale (``ConnectionCaches.swift``).
    var settingsCache = SettingsCache()
    var inventoryLeft: InventoryLeft?
    var signerCache: SignerCache?

    init(database: Database, clock: any WallClock) {
        self.database = database
        self.clock = clock
        ids = Identifiers(clock: clock)
        // Sales other processes offer while this one has the writer's turn (see `OfferedSale`).
        // A refusal goes back as the cashier's error; anything else hands the sale back to its
        // process, which then sells it itself and meets the error there.
        database.offeredWrites = OfferedWrites(
            run: { [unowned self] bytes in try sales.sellOffered(bytes) },
            refusal: { error in (error as? TicketingError).map(OfferedSale.answer(refusal:)) })
    }

    /// Opens an initialised node database whose schema matches this build; `readOnly`, for
    /// reading alone (such a connection neither writes nor checkpoints as it closes).
    ///
    /// - Throws: ``TicketingError/notFound(_:)`` when the file is missing,
    ///   ``TicketingError/rejected(code:message:)`` when it is not initialised or needs a migration.
    public static func open(
        path: String, options: NodeOptions = NodeOptions(),
        clock: any WallClock = SystemWallClock(), readOnly: Bool = false
    ) throws -> VenueNode {
        guard FileManager.default.fileExists(atPath: path) else {
            throw TicketingError.notFound("no node database at \(path); create one with 'boxoffice init'")
        }
        var options = options.database
        options.createIfMissing = false
        options.readOnly = readOnly
        let node = VenueNode(database: try Database(path: path, options: options), clock: clock)
        let status = try NodeSchema.migrator.status(node.database)
        guard status.pending.isEmpty else {
            throw TicketingError.rejected(
                code: "migration_needed",
                message:
                    "database schema is at version \(status.version), this build needs \(NodeSchema.migrator.latestVersion); "
                    + "run 'boxoffice migrate' (it snapshots the database first)")
        }
        guard try NodeSettings.load(node.database) != nil else {
            throw TicketingError.rejected(
                code: "not_initialised", message: "\(path) is not an initialised node; run 'boxoffice init'")
        }
        return node
    }

    /// Opens or creates the file for `init` and `migrate`, without the checks of ``open(path:options:clock:)``.
    public static func openForSetup(
        path: String, options: NodeOptions = NodeOptions(),
        clock: any WallClock = SystemWallClock()
    ) throws -> VenueNode {
        VenueNode(database: try Database(path: path, options: options.database), clock: clock)
    }

    /// The node's settings. Every sale asks for them, inside its transaction; they are read
    /// again only when they may have changed (``SettingsCache``).
    public func settings() throws -> NodeSettings { try settingsCache.settings(from: database) }

    /// Writes a consistent snapshot of the database to `file` while it keeps selling (admins:
    /// it holds password hashes and customers' data; the file is readable by its owner only).
    /// Never over an existing file, nor as one of the node's own files (``NodeFiles``, and
    /// `others`: the session and settings files), nor where its partial copy would be one.
    public func backup(to file: String, by actor: Operator, protecting others: [String] = []) throws {
        try actor.require(.admin, to: "backups")
        let protected = NodeFiles.protected(database: database.path, others: others)
        do {
            _ = try OutputFile(file, replacing: false, protecting: protected)
        } catch let error as OutputFileError where error.kind == .exists {
            throw OutputFileError(
                path: file, kind: .exists, message: "snapshot \(file) already exists: a snapshot never replaces a file")
        }
        _ = try OutputFile(file + ".partial", replacing: true, protecting: protected)
        try database.backup(to: file)
        try database.write { try audit.record("node.backed_up", by: actor.name, entity: "node", id: file) }
    }

    /// The database file and WAL this connection has open that were deleted or replaced under it,
    /// described for an operator; empty when all is well. A connection writing into a deleted WAL
    /// loses what it writes to every other process: reopen (``open(path:options:clock:)``).
    public func detachedFiles() -> [String] { database.detachedFiles().map(\.description) }

    /// Looks at the writers' queue file between writes, as a long-running process does each
    /// time it loops (``Database/checkWritersQueue()``); what it finds goes to
    /// ``WriterQueueIncidents``.
    public func checkWritersQueue() { database.checkWritersQueue() }

    var audit: AuditLog { AuditLog(db: database, clock: clock) }
    var outbox: Outbox { Outbox(db: database, clock: clock) }
}
