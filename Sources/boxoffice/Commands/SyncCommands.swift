import CLIKit
import Ticketing

struct SyncCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        name: "sync", abstract: "The node's side of sync with central.", subcommands: [Parked.self])

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
                context.output.emit(try node.sync.parkedChanges()) { items in
                    items.isEmpty
                        ? "Nothing parked."
                        : TextTable.render(
                            ["SEQ", "TYPE", "ENTITY", "PARKED", "ERROR"],
                            items.map {
                                [
                                    String($0.seq), $0.type, $0.entityID, String($0.parkedAt.description.prefix(19)),
                                    $0.error,
                                ]
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
}
