import CLIKit
import Ticketing

struct MaintenanceCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        name: "maintenance",
        abstract: "Maintenance (read-only) mode: sales, holds, refunds and changes wait; look-ups and check-in work.",
        discussion: """
            While on, refused commands exit 7 with the reason. Head office can also put the node in maintenance
            (central maintenance on); each switch is lifted by whoever set it.
            """,
        subcommands: [On.self, Off.self, Show.self])

    init(_ arguments: ParsedArguments) {}

    /// The state in one line per switch.
    static func describe(_ state: MaintenanceState) -> String {
        guard state.isOn else { return "Maintenance is off: the node sells." }
        var lines = ["Maintenance is on: sales, holds, refunds and changes are refused (exit 7)."]
        if let local = state.local {
            lines.append("  here, by \(local.by) since \(local.since.local(in: state.timezone)): \(local.reason)")
        }
        if let central = state.central {
            lines.append(
                "  by head office (\(central.by)) since \(central.since.local(in: state.timezone)): \(central.reason)")
        }
        return lines.joined(separator: "\n")
    }

    struct On: ParsableCommand {
        static let reason = TypedOption.text(
            "--reason", "TEXT", required: true, help: "Why; shown to cashiers and audited.")
        static let configuration = CommandConfiguration(
            name: "on", abstract: "Put this node in maintenance (admins).", options: [reason])

        let context: Context
        let reason: String

        init(_ arguments: ParsedArguments) throws {
            context = try Context(arguments)
            reason = try arguments.required(Self.reason)
        }

        func run() throws {
            let (node, actor) = try context.signedIn()
            let state = try node.maintenance.turnOn(reason: reason, by: actor)
            context.output.emit(state, text: MaintenanceCommand.describe)
        }
    }

    struct Off: ParsableCommand {
        static let configuration = CommandConfiguration(
            name: "off", abstract: "Take this node out of the maintenance set here (admins); head office's stays.")

        let context: Context

        init(_ arguments: ParsedArguments) throws { context = try Context(arguments) }

        func run() throws {
            let (node, actor) = try context.signedIn()
            let state = try node.maintenance.turnOff(by: actor)
            context.output.emit(state, text: MaintenanceCommand.describe)
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(
            name: "status", abstract: "Whether the node is in maintenance, and why.")

        let context: Context

        init(_ arguments: ParsedArguments) throws { context = try Context(arguments) }

        func run() throws {
            context.output.emit(try context.node().maintenance.state(), text: MaintenanceCommand.describe)
        }
    }
}
