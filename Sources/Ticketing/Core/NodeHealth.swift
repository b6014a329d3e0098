import AtomicFiles
import EdgeStore
import FoundationEssentials
import SyncWire

#if canImport(Glibc)
    import Glibc
#endif

/// A health status as Spring Boot Actuator spells it, in its order of severity.
public enum HealthStatus: String, Codable, Sendable, Comparable {
    case down = "DOWN"
    case outOfService = "OUT_OF_SERVICE"
    case up = "UP"
    case unknown = "UNKNOWN"

    /// Spring's default order: DOWN, OUT_OF_SERVICE, UP, UNKNOWN; the first one found wins.
    private var severity: Int {
        switch self {
        case .down: 0
        case .outOfService: 1
        case .up: 2
        case .unknown: 3
        }
    }

    public static func < (lhs: HealthStatus, rhs: HealthStatus) -> Bool { lhs.severity < rhs.severity }

    /// The HTTP status Spring answers with: 200 for UP and UNKNOWN, 503 otherwise.
    public var httpStatus: Int { self == .up || self == .unknown ? 200 : 503 }
}

/// A detail value of a health component: text, a number or a flag.
public enum HealthDetail: Codable, Sendable, Equatable {
    case text(String)
    case number(Int64)
    case flag(Bool)

    public func encode(to encoder: Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .text(let text): try container.encode(text)
        case .number(let number): try container.encode(number)
        case .flag(let flag): try container.encode(flag)
        }
    }

    public init(from decoder: Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let flag = try? container.decode(Bool.self) {
            self = .flag(flag)
        } else if let number = try? container.decode(Int64.self) {
            self = .number(number)
        } else {
            self = .text(try container.decode(String.self))
        }
    }
}

/// One component of the health document (`db`, `diskSpace`, …).
public struct HealthComponent: Codable, Sendable, Equatable {
    public var status: HealthStatus
    public var details: [String: HealthDetail]

    enum CodingKeys: String, CodingKey {
        case status, details
    }

    public init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        status = try container.decode(HealthStatus.self, forKey: .status)
        details = try container.decodeIfPresent([String: HealthDetail].self, forKey: .details) ?? [:]
    }

    public init(_ status: HealthStatus, _ details: [String: HealthDetail] = [:]) {
        self.status = status
        self.details = details
    }
}

/// The health document in Spring Boot Actuator's shape: `{"status": …, "components": {…}}`.
public struct HealthReport: Codable, Sendable, Equatable {
    public var status: HealthStatus
    public var components: [String: HealthComponent]

    /// A report whose status is the worst of the `deciding` components; the others are shown
    /// but decide nothing (central down does not stop a node that sells offline).
    public init(components: [String: HealthComponent], deciding: [String]) {
        self.components = components
        status = deciding.compactMap { components[$0]?.status }.min() ?? .unknown
    }

    /// The document as Actuator writes it: camelCase keys, sorted.
    public func json() -> String { json(showingDetails: true) }

    /// The document with each component's details, or with its status alone (Actuator's
    /// `show-details: never`, `show-components: always`).
    public func json(showingDetails details: Bool) -> String {
        HealthJSON.encode(
            details ? self : HealthReport(status: status, components: components.mapValues(\.withoutDetails)))
    }

    private init(status: HealthStatus, components: [String: HealthComponent]) {
        self.status = status
        self.components = components
    }
}

extension HealthComponent {
    /// The component as its own document (`/actuator/health/{component}`).
    public func json(showingDetails details: Bool) -> String { HealthJSON.encode(details ? self : withoutDetails) }

    /// The status alone: details name files, hosts and errors that are not for everyone.
    var withoutDetails: HealthComponent { HealthComponent(status) }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(status, forKey: .status)
        if !details.isEmpty { try container.encode(details, forKey: .details) }
    }
}

/// Actuator's JSON: camelCase keys, sorted.
enum HealthJSON {
    static func encode(_ value: some Encodable) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return (try? encoder.encode(value)).map { String(decoding: $0, as: UTF8.self) } ?? #"{"status":"DOWN"}"#
    }
}

/// The node's health, as `boxoffice health` and `venue-syncd`'s listener report it.
///
/// Components: `db` (the node database answers), `diskSpace` (free space where it lives),
/// `sales` (OUT_OF_SERVICE in maintenance or while a restored node takes its facts back, DOWN
/// without a ticket signing key in force),
/// `central` (DOWN when central is read-only, unreachable or incompatible), `outbox` (what waits
/// for central) and `sync` (when a sync cycle last ran). The node is UP when it can sell: `db`,
/// `diskSpace` and `sales` decide; `central`, `outbox` and `sync` are shown but decide nothing.
public enum NodeHealth {
    /// The components that decide whether the node is ready to sell.
    public static let readiness = ["db", "diskSpace", "sales"]
    /// Free space below this is DOWN (Spring's default is 10 MB; a node also needs room for its WAL).
    public static let defaultMinimumFreeBytes: Int64 = 100 * 1024 * 1024
    /// An outbox record older than this makes `outbox` DOWN.
    public static let outboxLagLimitSeconds: Int64 = 15 * 60
    /// No sync cycle for this long makes `sync` DOWN (is venue-syncd running?).
    public static let syncSilenceLimitSeconds: Int64 = 5 * 60

    /// Every component, from a fresh read of the database at `path`; never throws: a database
    /// that cannot be opened or read is `db` DOWN. `writers` says whether a writer gets through;
    /// without it, the connection that reads tries, waiting up to ``writersTurnLimitSeconds``
    /// (with it, that connection is read-only: it waits for no writer, also as it closes).
    public static func components(
        databasePath path: String, options: NodeOptions, minimumFreeBytes: Int64 = defaultMinimumFreeBytes,
        clock: any WallClock = SystemWallClock(), writers: ((Database) -> WritersQueueStatus)? = nil
    ) -> [String: HealthComponent] {
        var components = ["diskSpace": diskSpace(at: path, minimumFree: minimumFreeBytes)]
        let node: VenueNode
        let settings: NodeSettings
        let sync: SyncStatus
        let maintenance: MaintenanceState
        let schema: Int
        do {
            guard FileManager.default.fileExists(atPath: path) else {
                throw TicketingError.notFound("no node database at \(path)")
            }
            node = try VenueNode.open(path: path, options: options, clock: clock, readOnly: writers != nil)
            guard node.database.storedHeaderIsSQLite() else {
                throw TicketingError.invalidInput("\(path) is not an SQLite database (its header is not SQLite's)")
            }
            settings = try node.settings()
            sync = try node.sync.status()
            maintenance = try node.maintenance.state()
            schema = try NodeSchema.migrator.status(node.database).version
        } catch {
            components["db"] = HealthComponent(.down, ["error": .text(SyncLimits.clip("\(error)", to: 300))])
            return components
        }
        components["db"] = HealthComponent(
            .up,
            ["database": .text("SQLite"), "nodeId": .text(settings.nodeID), "schemaVersion": .number(Int64(schema))])
        let queue =
            writers?(node.database) ?? node.database.writersQueueStatus(within: writersTurnLimitSeconds)
        writersQueue(queue, into: &components["db"]!, now: clock.now())
        components["sales"] = sales(maintenance: maintenance, sync: sync)
        // A node whose signing key is missing, damaged, open to others or revoked sells nothing.
        do {
            _ = try node.signingKeys.currentSigner()
        } catch {
            components["sales"]!.status = .down
            components["sales"]!.details["signingKey"] = .text(SyncLimits.clip("\(error)", to: 300))
        }
        components["central"] = central(sync)
        components["outbox"] = outbox(sync)
        let now = clock.now()
        let silence = sync.lastCycleAt.map { (now.milliseconds - $0.milliseconds) / 1000 }
        var details: [String: HealthDetail] = [:]
        if let last = sync.lastCycleAt { details["lastCycleAt"] = .text(last.description) }
        components["sync"] = HealthComponent(
            silence.map { $0 <= syncSilenceLimitSeconds ? .up : .down } ?? .unknown, details)
        return components
    }

    /// How long, in seconds, why the writers' queue file was last replaced is shown.
    public static let writersQueueNoteShownFor: Int64 = 24 * 3600

    /// How long a writer may wait for its turn before `db` is DOWN: sales wait milliseconds for
    /// it, even with every terminal selling.
    public static let writersTurnLimitSeconds = 1.0

    /// Marks `db` DOWN when no writer got through within ``writersTurnLimitSeconds``: the
    /// writer whose turn it is keeps it and SQLite's lock, and every sale and hold waits, then
    /// fails. Says in `writersQueue` when writers go without the queue, and why its file was
    /// replaced if it was in the last ``writersQueueNoteShownFor`` seconds.
    static func writersQueue(_ queue: WritersQueueStatus, into db: inout HealthComponent, now: Timestamp) {
        var said = [String]()
        if let unqueued = queue.unqueued { said.append("writers go unqueued: \(unqueued)") }
        if let note = queue.note, now.milliseconds - note.milliseconds < writersQueueNoteShownFor * 1000 {
            said.append("replaced at \(Timestamp(milliseconds: note.milliseconds)): \(note.reason)")
        }
        if !said.isEmpty { db.details["writersQueue"] = .text(SyncLimits.clip(said.joined(separator: "; "), to: 600)) }
        guard !queue.answers else { return }
        db.status = .down
        db.details["error"] = .text(
            queue.stuck == .writeLock
                ? "no writer got the database's write lock within \(writersTurnLimitSeconds) s: a process keeps it "
                    + "without the queue (a program such as the sqlite3 shell, or one stopped in a transaction); "
                    + "sales and holds wait for it, then fail"
                : "no writer got its turn within \(writersTurnLimitSeconds) s: a process keeps the database's writers' "
                    + "queue and its write lock (stopped, or hung in a transaction); sales and holds wait for it, "
                    + "then fail")
    }

    static func sales(maintenance: MaintenanceState, sync: SyncStatus) -> HealthComponent {
        var details: [String: HealthDetail] = [:]
        if let local = maintenance.local { details["maintenance"] = .text("\(local.reason) (by \(local.by) here)") }
        if let central = maintenance.central {
            details["maintenanceByHeadOffice"] = .text("\(central.reason) (by \(central.by))")
        }
        if let since = sync.recoveryPendingSince { details["restoredSince"] = .text(since.description) }
        return HealthComponent(details.isEmpty ? .up : .outOfService, details)
    }

    static func central(_ sync: SyncStatus) -> HealthComponent {
        var details: [String: HealthDetail] = ["mode": .text(sync.mode.rawValue)]
        if let cause = sync.cause { details["cause"] = .text(cause) }
        if let since = sync.modeSince { details["since"] = .text(since.description) }
        if let error = sync.lastError { details["lastError"] = .text(error) }
        if let push = sync.lastPushAt { details["lastPushAt"] = .text(push.description) }
        if let pull = sync.lastPullAt { details["lastPullAt"] = .text(pull.description) }
        if let offset = sync.clockOffsetSeconds { details["clockOffsetSeconds"] = .number(offset) }
        if let identity = sync.centralIdentity { details["identity"] = .text(identity) }
        let status: HealthStatus =
            switch sync.mode {
            case .writable: .up
            case .unknown: .unknown
            default: .down
            }
        return HealthComponent(status, details)
    }

    static func outbox(_ sync: SyncStatus) -> HealthComponent {
        HealthComponent(
            sync.lagSeconds > outboxLagLimitSeconds ? .down : .up,
            [
                "pending": .number(Int64(sync.outboxPending)), "lagSeconds": .number(sync.lagSeconds),
                "parkedAtCentral": .number(Int64(sync.centralParked)),
                "parkedAtNode": .number(Int64(sync.pullParked)),
                "acknowledgedSeq": .number(sync.acknowledgedSeq), "epoch": .number(sync.epoch),
            ])
    }

    /// The space of the file system holding the file at `path`: what an unprivileged process may
    /// still write there (`free`) and its size, in bytes; nil when its folder cannot be read.
    public static func diskUsage(at path: String) -> (free: Int64, total: Int64)? {
        var info = statvfs()
        guard statvfs(folder(of: path), &info) == 0 else { return nil }
        return (Int64(info.f_bavail) * Int64(info.f_frsize), Int64(info.f_blocks) * Int64(info.f_frsize))
    }

    /// Free and total space of the file system holding `path`, as Spring's DiskSpaceHealthIndicator.
    static func diskSpace(at path: String, minimumFree: Int64) -> HealthComponent {
        guard let (free, total) = diskUsage(at: path) else {
            return HealthComponent(
                .down, ["path": .text(folder(of: path)), "exists": .flag(false), "threshold": .number(minimumFree)])
        }
        return HealthComponent(
            free >= minimumFree ? .up : .down,
            [
                "total": .number(total), "free": .number(free), "threshold": .number(minimumFree),
                "path": .text(folder(of: path)), "exists": .flag(true),
            ])
    }

    private static func folder(of path: String) -> String {
        let folder = AtomicFile.folder(of: path)
        return folder.isEmpty ? "." : folder
    }
}
