import AtomicFiles
import CLIKit
import FoundationEssentials
import SyncWire
import Ticketing

struct Init: ParsableCommand {
    static let nodeID = TypedOption.text(
        "--node", "NODE_ID", required: true, help: "This node's id, as central knows it.")
    static let admin = TypedOption.text("--admin", "NAME", required: true, help: "The first admin's user name.")
    static let configuration = CommandConfiguration(
        name: "init", abstract: "Create the node database with its first admin (password on stdin).",
        discussion: "Re-running for the same node changes nothing; another node id is refused.",
        options: [nodeID, admin])

    let context: Context
    let nodeID: String
    let admin: String

    init(_ arguments: ParsedArguments) throws {
        context = try Context(arguments)
        nodeID = try arguments.required(Self.nodeID)
        admin = try arguments.required(Self.admin)
    }

    func run() throws {
        let password = try context.password(prompt: "Password for \(admin): ", confirm: true)
        let outcome = try VenueNode.initialize(
            path: context.databasePath, nodeID: nodeID, adminName: admin, password: password,
            options: context.options)
        context.output.emit(outcome) {
            $0.created
                ? "Initialised node \($0.nodeID) (schema v\($0.schemaVersion)) at \(context.databasePath) with admin \($0.admin)."
                : "Node \($0.nodeID) is already initialised at \(context.databasePath); nothing changed."
        }
    }
}

struct Import: ParsableCommand {
    static let file = TypedArgument("FILE", help: "A reference data file, e.g. Fixtures/reference/grand-theatre.json.")
    static let configuration = CommandConfiguration(
        name: "import",
        abstract: "Load reference data (venues, seats, events, allocations, staff); twice changes nothing.",
        arguments: [file])

    let context: Context
    let file: String

    init(_ arguments: ParsedArguments) throws {
        context = try Context(arguments)
        file = try arguments.required(Self.file)
    }

    func run() throws {
        let (node, actor) = try context.signedIn()
        let summary = try node.catalog.importReference(file: file, by: actor)
        context.output.emit(summary) { summary in
            let rows = [
                ("venues", summary.venues), ("seats", summary.seats), ("events", summary.events),
                ("categories", summary.categories), ("allocations", summary.allocations), ("staff", summary.staff),
            ]
            .map { [$0.0, String($0.1.added), String($0.1.updated), String($0.1.unchanged)] }
            let table = TextTable.render(["", "added", "updated", "unchanged"], rows)
            return summary.isNoOp ? table + "\nNothing changed." : table
        }
    }
}

struct Login: ParsableCommand {
    static let name = TypedArgument("NAME", help: "Your user name.")
    static let configuration = CommandConfiguration(
        name: "login", abstract: "Log in (password on stdin); the session is kept in the session file.",
        arguments: [name])

    let context: Context
    let name: String

    init(_ arguments: ParsedArguments) throws {
        context = try Context(arguments)
        name = try arguments.required(Self.name)
    }

    func run() throws {
        let password = try context.password(prompt: "Password for \(name): ")
        // The session file is rewritten at each login, but never in the place of a node's file.
        _ = try OutputFile(
            context.sessionPath, replacing: true,
            protecting: NodeFiles.protected(
                database: context.databasePath, others: context.ownFiles.filter { $0 != context.sessionPath }))
        let node = try context.node()
        let session = try node.users.login(name: name, password: password)
        try SessionFile.write(session, at: context.sessionPath)
        context.output.emit(session.publicView(timezone: try node.timezone())) {
            "Logged in as \($0.staff) (\($0.role.rawValue)) on node \($0.nodeID) until \($0.expiresAt.local(in: $0.timezone))."
        }
    }
}

struct Logout: ParsableCommand {
    static let configuration = CommandConfiguration(name: "logout", abstract: "End the session.")

    let context: Context

    init(_ arguments: ParsedArguments) throws { context = try Context(arguments) }

    func run() throws {
        let session = try? SessionFile.read(at: context.sessionPath)
        if let session { try context.node().users.logout(token: session.token) }
        SessionFile.remove(at: context.sessionPath)
        context.output.emit(["logged_out": session != nil]) { _ in session == nil ? "Not logged in." : "Logged out." }
    }
}

struct Status: ParsableCommand {
    static let configuration = CommandConfiguration(
        name: "status", abstract: "Node id, schema version, and what waits: outbox, notifications, refunds, holds.")

    let context: Context

    init(_ arguments: ParsedArguments) throws { context = try Context(arguments) }

    func run() throws {
        let status = try context.node().status()
        context.output.emit(status) { status in
            func local(_ time: Timestamp) -> String { time.local(in: status.timezone) }
            let rows: [[String]] = [
                ["node", status.nodeID], ["schema", "v\(status.schemaVersion)"], ["currency", status.currency],
                ["events", String(status.events)], ["orders", String(status.orders)],
                ["active holds", String(status.activeHolds)], ["outbox pending", String(status.outboxPending)],
                ["notifications pending", String(status.notificationsPending)],
                ["notifications failed", String(status.notificationsFailed)],
                ["refunds pending", String(status.refundsPending)],
                [
                    "central",
                    status.sync.mode.rawValue + (status.sync.cause.map { " (\($0))" } ?? "")
                        + (status.sync.modeSince.map { " since \(local($0))" } ?? ""),
                ],
                ["last push", status.sync.lastPushAt.map(local) ?? "never"],
                ["last pull", status.sync.lastPullAt.map(local) ?? "never"],
                ["acknowledged seq", String(status.sync.acknowledgedSeq)],
                ["pull cursor", String(status.sync.pullCursor)],
                ["sync lag", "\(status.sync.lagSeconds)s"],
                ["parked", "\(status.sync.centralParked) at central, \(status.sync.pullParked) here"],
                ["epoch", String(status.sync.epoch)],
                ["central identity", status.sync.centralIdentity ?? "none yet (joins at the first sync)"],
            ]
            var extra = [[String]]()
            for (source, entry) in [("here", status.maintenance.local), ("head office", status.maintenance.central)] {
                guard let entry else { continue }
                extra.append([
                    "maintenance", "on by \(entry.by) (\(source)) since \(local(entry.since)): \(entry.reason)",
                ])
            }
            if let since = status.sync.recoveryPendingSince {
                extra.append([
                    "restored",
                    "since \(local(since)): sells again once venue-syncd has taken back its later sales from central",
                ])
            }
            if let offset = status.sync.clockOffsetSeconds {
                extra.append(["clock offset", "\(offset)s from central's"])
            }
            if let error = status.sync.lastError { extra.append(["last sync error", error]) }
            return TextTable.render(rows: rows + extra)
        }
    }
}

struct Migrate: ParsableCommand {
    static let status = FlagOption("--status", help: "Only show applied and pending migrations.")
    static let dryRun = FlagOption("--dry-run", help: "Show what would be applied; change nothing.")
    static let configuration = CommandConfiguration(
        name: "migrate",
        abstract: "Apply schema migrations, snapshotting the database first (admins; --status for anyone).",
        options: [status, dryRun])

    let context: Context
    let dryRun: Bool

    init(_ arguments: ParsedArguments) throws {
        context = try Context(arguments)
        dryRun = arguments.isSet(Self.dryRun) || arguments.isSet(Self.status)
    }

    func run() throws {
        let outcome = try VenueNode.migrate(
            path: context.databasePath, dryRun: dryRun,
            sessionToken: dryRun ? nil : try? context.session(on: nil).token, options: context.options)
        context.output.emit(outcome) { outcome in
            if outcome.dryRun || outcome.applied.isEmpty {
                return "Schema v\(outcome.fromVersion); pending: "
                    + (outcome.pending.isEmpty ? "none" : outcome.pending.joined(separator: ", "))
            }
            return
                "Migrated v\(outcome.fromVersion) → v\(outcome.toVersion) (\(outcome.applied.joined(separator: ", "))); "
                + "snapshot: \(outcome.snapshot ?? "-")"
        }
    }
}

struct Backup: ParsableCommand {
    static let file = TypedArgument("FILE", help: "The snapshot to create (must not exist).")
    static let configuration = CommandConfiguration(
        name: "backup",
        abstract: "Write a consistent snapshot of the node database while it keeps selling (admins; mode 0600).",
        arguments: [file])

    let context: Context
    let file: String

    init(_ arguments: ParsedArguments) throws {
        context = try Context(arguments)
        file = try arguments.required(Self.file)
    }

    func run() throws {
        let (node, actor) = try context.signedIn()
        try node.backup(to: file, by: actor, protecting: context.ownFiles)
        context.output.emit(["snapshot": file]) { _ in "Snapshot written to \(file)." }
    }
}

struct Restore: ParsableCommand {
    static let file = TypedArgument("FILE", help: "A snapshot from 'boxoffice backup' or 'boxoffice migrate'.")
    static let login = TypedOption.text(
        "--login", "NAME", help: "When the database cannot be opened: an admin of the snapshot (password on stdin).")
    static let discardUnpushed = FlagOption(
        "--discard-unpushed",
        help: "Drop what the replaced database holds that central never acknowledged instead of carrying it over.")
    static let configuration = CommandConfiguration(
        name: "restore", abstract: "Replace the node database with a snapshot (a rollback). Admins only.",
        discussion: """
            Refused while venue-syncd runs on the database, for a damaged snapshot and for another node's. The replaced
            database is kept next to it. A node that has synced with central takes back from central the sales, refunds
            and check-ins it made after the snapshot before it sells again (venue-syncd does it on its next cycle). What
            the replaced database made that central never acknowledged (sales with printed receipts among it) is carried
            over into the restored one, after what is taken back; what conflicts is left out and listed. So are its staff
            accounts (with their passwords), ended logins and cash drawers. A replaced database that cannot be read is
            restored over only with --discard-unpushed.
            """,
        arguments: [file], options: [login, discardUnpushed])

    let context: Context
    let file: String
    let login: String?
    let discarding: Bool

    init(_ arguments: ParsedArguments) throws {
        context = try Context(arguments)
        file = try arguments.required(Self.file)
        login = try arguments.value(Self.login)
        discarding = arguments.isSet(Self.discardUnpushed)
    }

    func run() throws {
        let authority: RestoreAuthority
        if let login {
            authority = .password(name: login, password: try context.password(prompt: "Password for \(login): "))
        } else {
            authority = .session(token: try context.session(on: try? context.node()).token)
        }
        let outcome: RestoreOutcome
        do {
            outcome = try VenueNode.restore(
                path: context.databasePath, from: file, authority: authority, discardingUnpushed: discarding,
                options: context.options)
        } catch TicketingError.rejected(let code, let message) where code == "unpushed_unknown" {
            throw TicketingError.rejected(code: code, message: message + "; to restore anyway, give --discard-unpushed")
        }
        context.output.emit(outcome) { outcome in
            var lines = [
                "Restored \(context.databasePath) (node \(outcome.nodeID), epoch \(outcome.epoch)) from \(file)."
            ]
            if let replaced = outcome.replacedFile { lines.append("The replaced database is kept at \(replaced).") }
            if let counter = outcome.counter, counter.accountsAdded + counter.accountsUpdated + counter.drawers > 0 {
                lines.append(
                    "Carried over from the replaced database: \(counter.accountsAdded) staff accounts added, "
                        + "\(counter.accountsUpdated) brought up to date, \(counter.drawers) cash drawers.")
            }
            if let carried = outcome.carriedOver, carried.carried > 0 || !carried.refused.isEmpty {
                lines.append(
                    "Carried over \(carried.carried) facts central never acknowledged (\(carried.sales) sales) "
                        + "from the replaced database.")
            }
            if outcome.toCarryOver > 0 {
                lines.append(
                    "\(outcome.toCarryOver) facts central never acknowledged (\(outcome.salesToCarryOver) sales) are "
                        + "carried over from the replaced database once venue-syncd has taken back what central holds.")
            }
            for refused in outcome.carriedOver?.refused ?? [] {
                lines.append(
                    "Not carried over: \(refused.type) \(refused.entityID) (record \(refused.seq) of the replaced "
                        + "database): \(refused.reason).")
            }
            if outcome.discarded > 0 {
                lines.append(
                    "Dropped \(outcome.discarded) facts central never acknowledged (\(outcome.salesDiscarded) sales), "
                        + "as asked; the replaced database keeps them.")
            }
            if outcome.unpushedUnknown {
                lines.append(
                    "The replaced database could not be read: what it held that central never acknowledged was dropped, as asked."
                )
            }
            if outcome.recoveryPending {
                lines.append(
                    "This node sells again once venue-syncd has taken back from central what it sold after the snapshot."
                )
            }
            return lines.joined(separator: "\n")
        }
    }
}

extension LoginSession {
    /// The session without its token, for printing; people read `expiresAt` in `timezone`.
    func publicView(timezone: String) -> PublicSession {
        PublicSession(staff: staff, role: role, nodeID: nodeID, expiresAt: expiresAt, timezone: timezone)
    }
}

struct PublicSession: Codable {
    let staff: String
    let role: Role
    let nodeID: String
    let expiresAt: Timestamp
    let timezone: String
}
