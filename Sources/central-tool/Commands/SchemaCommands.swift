import CLIKit
import Central
import Foundation
import SyncWire

struct Migrate: ParsableCommand {
    static let status = FlagOption("--status", help: "Only show applied and pending migrations.")
    static let dryRun = FlagOption("--dry-run", help: "Show what would be applied; change nothing.")
    static let configuration = CommandConfiguration(
        name: "migrate", abstract: "Apply the central schema migrations (SyncProtocol/mysql), or show where it stands.",
        options: [status, dryRun])

    let context: CentralContext
    let onlyStatus: Bool

    init(_ arguments: ParsedArguments) throws {
        context = try CentralContext(arguments)
        onlyStatus = arguments.isSet(Self.status) || arguments.isSet(Self.dryRun)
    }

    func run() throws {
        let migrator = CentralMigrator(connection: try context.connect(requireCurrentSchema: false))
        let report = onlyStatus ? try migrator.status() : try migrator.migrate(dryRun: false, now: context.now)
        context.output.emit(report) { report in
            var lines = ["central schema v\(report.version)"]
            if let identity = report.identity {
                lines.append("central identity \(identity.id) (made \(identity.createdAt))")
                if report.identityMade {
                    lines.append(
                        "central's identity was missing and was made again: nodes that synced with this central "
                            + "now refuse it; re-join each (venue-syncd stopped): boxoffice sync rejoin \(identity.id)")
                }
            } else if report.version >= CentralSchema.identityMigration {
                lines.append("central identity missing: 'central migrate' makes it again")
            }
            if !report.applied.isEmpty {
                lines.append((report.dryRun ? "applied: " : "applied now: ") + report.applied.joined(separator: ", "))
            }
            lines.append("pending: " + (report.pending.isEmpty ? "none" : report.pending.joined(separator: ", ")))
            if let stopped = report.interrupted {
                lines.append(
                    "interrupted: \(stopped.name) at statement \(stopped.statementsApplied + 1) of \(stopped.statements); "
                        + "'central migrate' resumes there")
            }
            return lines.joined(separator: "\n")
        }
    }
}

extension Import {
    /// The export at `path`, or nil when the file is something else (a reference file).
    static func export(at path: String) throws -> ExportedData? {
        struct Format: Decodable { let format: String }
        guard let data = FileManager.default.contents(atPath: path),
            (try? JSONText.decoder().decode(Format.self, from: data))?.format == ExportedData.format
        else { return nil }
        do {
            return try JSONText.decoder().decode(ExportedData.self, from: data)
        } catch {
            throw CentralError.invalidInput("\(path) is not a valid \(ExportedData.format) file: \(error)")
        }
    }
}

struct Import: ParsableCommand {
    static let file = TypedArgument(
        "FILE", help: "A reference file (Fixtures/reference/grand-theatre.json) or an export (central export).")
    static let configuration = CommandConfiguration(
        name: "import",
        abstract:
            "Load a reference file's catalog and allocations (twice changes nothing), or an export into an empty central.",
        arguments: [file])

    let context: CentralContext
    let file: String

    init(_ arguments: ParsedArguments) throws {
        context = try CentralContext(arguments)
        file = try arguments.required(Self.file)
    }

    func run() throws {
        if let export = try Self.export(at: file) {
            let loaded = try CentralExport(connection: try context.connect()).load(export, now: context.now)
            context.output.emit(loaded) {
                "Loaded \($0.orders) orders, \($0.tickets) tickets, \($0.payments) payments, \($0.refunds) refunds, "
                    + "\($0.customers) customers, \($0.nodes) nodes and \($0.allocations) allocations; "
                    + "catalog changes published: \($0.catalog.changesPublished)"
            }
            return
        }
        let summary = try CentralCatalog(connection: try context.connect()).importReference(
            file: file, now: context.now)
        context.output.emit(summary) { summary in
            let counts: [(String, CentralImportSummary.Counts)] = [
                ("venues", summary.venues), ("seats", summary.seats),
                ("events", summary.events), ("categories", summary.categories),
            ]
            let rows: [[String]] = counts.map {
                [$0.0, String($0.1.added), String($0.1.updated), String($0.1.unchanged)]
            }
            let table = TextTable.render(["", "added", "updated", "unchanged"], rows)
            return table
                + "\nallocation proposals: \(summary.proposals) new, \(summary.allocationsUnchanged) unchanged; "
                + "catalog changes published: \(summary.changesPublished)"
                + (summary.parametersPublished ? " (node parameters among them)" : "")
        }
    }
}
