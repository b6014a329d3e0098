import CLIKit
import Central

struct MaintenanceCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        name: "maintenance",
        abstract:
            "Put nodes in maintenance (read-only) mode or take them out; each node applies it when it next pulls.",
        discussion: """
            The last instruction a node pulls wins: 'on --all' then 'off --node A' leaves every node but A in
            maintenance. A node's own 'boxoffice maintenance on' is separate and lifted only there. Works on the
            schema before 'central migrate' too: day J puts nodes in maintenance first, then migrates.
            """,
        subcommands: [On.self, Off.self, Show.self])

    init(_ arguments: ParsedArguments) {}

    static let node = TypedOption.text("--node", "N", help: "Only this node.")
    static let all = FlagOption("--all", help: "Every node, present and future.")

    /// `--node N` or `--all`, exactly one: nil means every node.
    static func target(_ arguments: ParsedArguments) throws -> String? {
        let node = try arguments.value(Self.node)
        guard (node != nil) != arguments.isSet(Self.all) else { throw UsageError("give --node N or --all, not both") }
        return node
    }

    /// One switch: the instruction read from the command line.
    struct Switch: Sendable {
        let context: CentralContext
        let nodeID: String?
        let enabled: Bool
        let reason: String?

        func run() throws {
            // The change feed it writes is in every schema since the first: no current schema needed.
            let view = try CentralMaintenance(connection: try context.connect(requireCurrentSchema: false)).set(
                nodeID: nodeID, enabled: enabled, reason: reason, now: context.now)
            context.output.emit(view) { v in
                let target = v.nodeID == "*" ? "every node" : "node \(v.nodeID)"
                return "Maintenance \(v.enabled ? "on" : "off") for \(target) (change \(v.changeSeq)); "
                    + "each applies it when it next pulls."
            }
        }
    }

    struct On: ParsableCommand {
        static let reason = TypedOption.text("--reason", "TEXT", required: true, help: "Why; shown to cashiers.")
        static let configuration = CommandConfiguration(
            name: "on", abstract: "Put a node, or every node, in maintenance.",
            usage: "(--node N | --all) --reason TEXT",
            options: [MaintenanceCommand.node, MaintenanceCommand.all, reason])

        let change: Switch

        init(_ arguments: ParsedArguments) throws {
            change = Switch(
                context: try CentralContext(arguments), nodeID: try MaintenanceCommand.target(arguments), enabled: true,
                reason: try arguments.required(Self.reason))
        }

        func run() throws { try change.run() }
    }

    struct Off: ParsableCommand {
        static let reason = TypedOption.text("--reason", "TEXT", help: "Why, for the audit log.")
        static let configuration = CommandConfiguration(
            name: "off", abstract: "Take a node, or every node, out of maintenance.",
            usage: "(--node N | --all) [--reason TEXT]",
            options: [MaintenanceCommand.node, MaintenanceCommand.all, reason])

        let change: Switch

        init(_ arguments: ParsedArguments) throws {
            change = Switch(
                context: try CentralContext(arguments), nodeID: try MaintenanceCommand.target(arguments),
                enabled: false,
                reason: try arguments.value(Self.reason))
        }

        func run() throws { try change.run() }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(
            name: "status", abstract: "The last maintenance instruction for every node (*) and each node named.")

        let context: CentralContext

        init(_ arguments: ParsedArguments) throws { context = try CentralContext(arguments) }

        func run() throws {
            let views = try CentralMaintenance(connection: try context.connect(requireCurrentSchema: false))
                .instructions()
            context.output.emit(views) { views in
                views.isEmpty
                    ? "No maintenance instruction was ever given."
                    : TextTable.render(
                        ["NODE", "STATE", "CHANGE", "AT", "BY", "REASON"],
                        views.map {
                            [
                                $0.nodeID, $0.enabled ? "on" : "off", String($0.changeSeq),
                                $0.at.local(in: $0.timezone), $0.by, $0.reason ?? "",
                            ]
                        })
            }
        }
    }
}
