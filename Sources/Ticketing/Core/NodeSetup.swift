import EdgeCrypto
import EdgeStore
import FoundationEssentials
import SyncWire

/// What `init` did.
public struct InitOutcome: Sendable, Codable, Equatable {
    public let nodeID: String
    public let admin: String
    public let schemaVersion: Int
    /// False when the node already existed and nothing changed.
    public let created: Bool
}

/// What `migrate` did or would do.
public struct MigrationOutcome: Sendable, Codable, Equatable {
    public let fromVersion: Int
    public let toVersion: Int
    public let applied: [String]
    public let pending: [String]
    /// The snapshot taken before migrating, if any.
    public let snapshot: String?
    public let dryRun: Bool
}

extension VenueNode {
    /// Creates the node database (or confirms an existing one) with its first admin.
    ///
    /// Re-running with the same node id changes nothing; another node id is refused, because a
    /// node's identity is what central counts its sales under.
    public static func initialize(
        path: String, nodeID: String, adminName: String, password: String,
        options: NodeOptions = NodeOptions(),
        clock: any WallClock = SystemWallClock()
    ) throws -> InitOutcome {
        let nodeID = try Validation.code(nodeID, field: "node id")
        let adminName = try Validation.staffName(adminName)
        let password = try Validation.password(password)
        if FileManager.default.fileExists(atPath: path) {
            let existing = try openForSetup(path: path, options: options, clock: clock)
            if let settings = try NodeSettings.load(existing.database) {
                guard settings.nodeID == nodeID else {
                    throw TicketingError.rejected(
                        code: "other_node",
                        message: "\(path) belongs to node \(settings.nodeID); "
                            + "refusing to initialise it as \(nodeID)")
                }
                return InitOutcome(
                    nodeID: nodeID, admin: adminName,
                    schemaVersion: try NodeSchema.migrator.status(existing.database).version,
                    created: false)
            }
        }
        let hash = PasswordHash.make(password: password)
        let node = try openForSetup(path: path, options: options, clock: clock)
        try NodeSchema.migrator.migrate(node.database, now: { clock.now().description })
        let created = try node.database.write { () -> Bool in
            if let settings = try NodeSettings.load(node.database) {
                guard settings.nodeID == nodeID else {
                    throw TicketingError.rejected(
                        code: "other_node", message: "\(path) belongs to node \(settings.nodeID)")
                }
                return false
            }
            try NodeSettings.defaults(nodeID: nodeID).save(to: node)
            let id = try node.users.insertStaff(name: adminName, role: .admin, passwordHash: hash)
            try node.audit.record("node.initialised", by: adminName, entity: "node", id: nodeID)
            try node.audit.record(
                "user.added", by: adminName, entity: "staff", id: id, detail: ["name": adminName, "role": "admin"])
            return true
        }
        try node.signingKeys.ensureKey(by: adminName)
        return InitOutcome(
            nodeID: nodeID, admin: adminName, schemaVersion: NodeSchema.migrator.latestVersion, created: created)
    }

    /// Applies pending migrations after snapshotting the database next to itself
    /// (`venue.sqlite.pre-v2-<time>.sqlite`, mode 0600); with `dryRun`, only reports what would
    /// happen. Applying needs an admin's session (`sessionToken`), checked against the database
    /// as it is before migrating.
    public static func migrate(
        path: String, dryRun: Bool, sessionToken: String? = nil, options: NodeOptions = NodeOptions(),
        clock: any WallClock = SystemWallClock()
    ) throws -> MigrationOutcome {
        guard FileManager.default.fileExists(atPath: path) else {
            throw TicketingError.notFound("no node database at \(path); create one with 'boxoffice init'")
        }
        let node = try openForSetup(path: path, options: options, clock: clock)
        let status = try NodeSchema.migrator.status(node.database)
        if !dryRun {
            guard let sessionToken else {
                throw TicketingError.notLoggedIn("migrating needs an admin: run 'boxoffice login NAME' first")
            }
            try node.users.authenticate(token: sessionToken).require(.admin, to: "migrating the database")
        }
        guard !dryRun, !status.pending.isEmpty else {
            return MigrationOutcome(
                fromVersion: status.version, toVersion: status.version + (dryRun ? status.pending.count : 0),
                applied: [], pending: status.pending, snapshot: nil, dryRun: dryRun)
        }
        let stamp = clock.now().description.replacing(":", with: "")
        let snapshot = "\(path).pre-v\(status.version + 1)-\(stamp).sqlite"
        try node.database.backup(to: snapshot)
        let applied = try NodeSchema.migrator.migrate(node.database, now: { clock.now().description })
        // A database made before tickets were signed gets its first key.
        if try NodeSettings.load(node.database) != nil { try node.signingKeys.ensureKey(by: "migrate") }
        return MigrationOutcome(
            fromVersion: status.version, toVersion: status.version + applied.count, applied: applied,
            pending: [], snapshot: snapshot, dryRun: false)
    }
}
