import EdgeStore
import SyncWire

/// Whether the node is in maintenance, and why: set at the node by an admin, or by head office
/// through a pulled change. Either one is enough; each is lifted by whoever set it.
public struct MaintenanceState: Sendable, Codable, Equatable {
    /// One source's switch: who turned it on, when and why.
    public struct Switch: Sendable, Codable, Equatable {
        public let reason: String
        public let by: String
        public let since: Timestamp
    }

    /// Set here with `boxoffice maintenance on`.
    public let local: Switch?
    /// Set by head office with `central maintenance on`.
    public let central: Switch?
    /// The zone people read `since` in (``NodeTimeZone``).
    public let timezone: String

    /// True while sales, holds, refunds and changes are refused.
    public var isOn: Bool { local != nil || central != nil }

    /// The sentence refused operations carry.
    var refusal: String {
        let parts = [local.map { "by \($0.by) here: \($0.reason)" }, central.map { "by head office: \($0.reason)" }]
        return "this node is in maintenance (" + parts.compactMap { $0 }.joined(separator: "; ")
            + "); look-ups, status and check-in still work"
    }
}

/// Maintenance (read-only) mode: while on, sales, holds, refunds and catalog changes are refused
/// with ``TicketingError/maintenance(_:)``; look-ups, status, check-in and sync keep working.
public struct Maintenance {
    let node: VenueNode

    /// Where each source's switch is kept in `node_setting`.
    enum Source: String {
        case local = "maintenance_local"
        case central = "maintenance_central"
    }

    /// The current state.
    public func state() throws -> MaintenanceState { try Self.state(node.database) }

    /// Turns the node's own switch on (admins), recorded in the audit log with the reason.
    @discardableResult
    public func turnOn(reason: String, by actor: Operator) throws -> MaintenanceState {
        try actor.require(.admin, to: "maintenance")
        let reason = try Validation.text(reason, field: "reason", maxLength: 500)
        return try node.database.write {
            try set(.local, to: MaintenanceState.Switch(reason: reason, by: actor.name, since: node.clock.now()))
            try node.audit.record(
                "maintenance.on", by: actor.name, entity: "node", id: "local", detail: ["reason": reason])
            return try state()
        }
    }

    /// Turns the node's own switch off (admins). Head office's switch, if on, stays on.
    @discardableResult
    public func turnOff(by actor: Operator) throws -> MaintenanceState {
        try actor.require(.admin, to: "maintenance")
        return try node.database.write {
            if try Self.state(node.database).local != nil {
                try set(.local, to: nil)
                try node.audit.record("maintenance.off", by: actor.name, entity: "node", id: "local")
            }
            return try state()
        }
    }

    /// Applies head office's instruction, inside the caller's transaction.
    func apply(_ change: MaintenanceChange) throws {
        let current = try Self.state(node.database).central
        if change.enabled {
            let reason = SyncLimits.clip(change.reason ?? "maintenance", to: 500)
            guard current?.reason != reason else { return }
            try set(.central, to: MaintenanceState.Switch(reason: reason, by: change.by, since: node.clock.now()))
            try node.audit.record(
                "maintenance.on", by: "central", entity: "node", id: "central",
                detail: ["reason": reason, "by": change.by])
        } else if current != nil {
            try set(.central, to: nil)
            try node.audit.record(
                "maintenance.off", by: "central", entity: "node", id: "central", detail: ["by": change.by])
        }
    }

    private func set(_ source: Source, to value: MaintenanceState.Switch?) throws {
        if let value {
            try node.database.execute(
                "INSERT INTO node_setting (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                [source.rawValue, try JSONText.encode(value)])
        } else {
            try node.database.execute("DELETE FROM node_setting WHERE key = ?", [source.rawValue])
        }
    }

    static func state(_ db: Database) throws -> MaintenanceState {
        func read(_ source: Source) throws -> MaintenanceState.Switch? {
            let text: String? = try db.scalar("SELECT value FROM node_setting WHERE key = ?", [source.rawValue])
            return try text.map { try JSONText.decode(MaintenanceState.Switch.self, from: $0) }
        }
        return MaintenanceState(local: try read(.local), central: try read(.central), timezone: try NodeTimeZone.of(db))
    }
}

/// The checks every change a cashier, supervisor or admin makes passes first, inside its write
/// transaction: the node is not in maintenance, and not waiting to take back its facts after a
/// restore. Changes pulled from central do not pass here: the daemon keeps the node in step. A
/// rehearsal (the smoke test) passes maintenance: it commits nothing.
struct ChangeGate {
    let db: Database

    func requireOpen() throws {
        // One statement when nothing is set, as on nearly every sale.
        guard try db.scalar(Self.anySet, as: Int64.self) == 1 else { return }
        let maintenance = try Maintenance.state(db)
        if maintenance.isOn, !db.isRehearsing { throw TicketingError.maintenance(maintenance.refusal) }
        try SyncState(db: db).requireNoRecovery()
    }

    /// 1 when either maintenance switch or a pending recovery is recorded: a seek for each (a
    /// list of keys would cost a temporary table each time).
    private static let anySet = """
        SELECT EXISTS (SELECT 1 FROM node_setting WHERE key = '\(Maintenance.Source.local.rawValue)')
            OR EXISTS (SELECT 1 FROM node_setting WHERE key = '\(Maintenance.Source.central.rawValue)')
            OR EXISTS (SELECT 1 FROM sync_state WHERE key = '\(SyncState.Key.recoverySince.rawValue)')
        """
}

extension VenueNode {
    /// Maintenance (read-only) mode.
    public var maintenance: Maintenance { Maintenance(node: self) }
}
