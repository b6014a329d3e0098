import CLIKit
import Ticketing

struct SyncCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        name: "sync", abstract: "The node's side of sync with central.", subcommands: [Parked.self, Rejoin.self])

    init(_ arguments: ParsedArguments) {}

    struct Parked: ParsableCommand {
        static let retry = FlagOption("--retry", help: "Apply the parked changes again.")
        static let configuration = CommandConfiguration(
            name: "parked",
            abstract: "Changes from central this node could never apply; --retry applies them again (supervisors).",
            discussion: """
                After a fix (a newer build that knows a change type, an event that now exists), --retry applies the parked
                changes again, oldest first, each in its own transaction. Exit code 1 when some are still parked.
                """,
            options: [retry])

        let context: Context
        let retry: Bool

        init(_ arguments: ParsedArguments) throws {
            context = try Context(arguments)
            retry = arguments.isSet(Self.retry)
        }

        func run() throws {
            let (node, actor) = try context.signedIn()
            guard retry else {
                try actor.require(.supervisor, to: "listing parked changes")
                let zone = try node.timezone()
                context.output.emit(try node.sync.parkedChanges()) { items in
                    items.isEmpty
                        ? "Nothing parked."
                        : TextTable.render(
                            ["SEQ", "TYPE", "ENTITY", "PARKED", "ERROR"],
                            items.map {
                                [String($0.seq), $0.type, $0.entityID, $0.parkedAt.local(in: zone), $0.error]
                            })
                }
                return
            }
            let results = try node.sync.retryParked(by: actor)
            context.output.emit(results) { results in
                results.isEmpty
                    ? "Nothing parked."
                    : TextTable.render(
                        ["SEQ", "TYPE", "RESULT"],
                        results.map {
                            [String($0.seq), $0.type, $0.outcome.map(\.rawValue) ?? "still parked: \($0.error ?? "")"]
                        })
            }
            let remaining = results.filter { $0.outcome == nil }.count
            if remaining > 0 {
                throw Failure(
                    exitCode: 1, code: "still_parked", message: "\(remaining) change(s) still parked",
                    outcomePrinted: true)
            }
        }
    }

    struct Rejoin: ParsableCommand {
        static let identity = TypedArgument(
            "CENTRAL_ID", help: "The identity of the central to sync with from now on ('central migrate --status').")
        static let configuration = CommandConfiguration(
            name: "rejoin",
            abstract: "Move this node, on purpose, to another central (admins; venue-syncd stopped).",
            discussion: """
                A node syncs only with the central it joined; venue-syncd reports 'incompatible' (cause identity) with any
                other. After this command it syncs with the central CENTRAL_ID names: its outbox goes there in full, its
                pull starts at that central's first change. Stop venue-syncd first; start it again afterwards.
                """,
            arguments: [identity])

        let context: Context
        let identity: String

        init(_ arguments: ParsedArguments) throws {
            context = try Context(arguments)
            identity = try arguments.required(Self.identity)
        }

        func run() throws {
            let (node, actor) = try context.signedIn()
            let outcome = try node.sync.rejoin(central: identity, by: actor)
            context.output.emit(outcome) { outcome in
                "This node now syncs with central \(outcome.identity)"
                    + (outcome.previous.map { " (it had joined \($0))" } ?? "")
                    + "; its outbox goes there in full at the next sync, and its pull starts at that central's first "
                    + "change (it was at \(outcome.pullCursorWas) of the previous central)"
                    + (outcome.parkedChangesDropped > 0
                        ? "; \(outcome.parkedChangesDropped) change(s) parked from the previous central were dropped"
                        : "")
                    + "."
            }
        }
    }
}
