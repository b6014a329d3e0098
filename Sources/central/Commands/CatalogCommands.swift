import Central
import CLIKit
import SyncWire

struct Allocate: ParsableCommand {
    static let configuration = CommandConfiguration(
        name: "allocate", abstract: "Propose what a node may sell of a category; the node accepts it if it keeps its sales.",
        usage: "EVENT --category C --node N (--quota Q | --seats SELECTOR...)",
        arguments: [Argument("EVENT", help: "The event id.")],
        options: [.value("--category", "C", required: true, help: "Price category code."),
                  .value("--node", "N", required: true, help: "The node id."),
                  .value("--quota", "Q", help: "GA: how many tickets."),
                  .values("--seats", "SELECTOR", help: "Seated: '*', a section, a row (SECTION-ROW) or seat labels.")])

    static func run(_ arguments: ParsedArguments) throws {
        let context = CentralContext(arguments)
        let quota = try arguments.integer("--quota", in: 0...10_000_000).map(Int.init)
        let seats = arguments.values("--seats")
        guard (quota == nil) != seats.isEmpty else { throw UsageError("give --quota Q or --seats SELECTOR..., not both") }
        let view = try CentralAllocations(connection: try context.connect()).propose(AllocationRequest(
            eventID: try arguments.requiredArgument("EVENT"), categoryCode: try arguments.required("--category"),
            nodeID: try arguments.required("--node"), quota: quota, seatSelectors: seats.isEmpty ? nil : seats), now: context.now)
        context.output.emit(view) { v in
            v.proposalStatus == "pending"
                ? "Proposed v\(v.proposedVersion ?? 0) of \(v.eventID) \(v.categoryCode) to \(v.nodeID): \(v.proposedQuota ?? 0) (in force: \(v.quota) v\(v.version)); the node answers when it next syncs."
                : "Unchanged: \(v.eventID) \(v.categoryCode) for \(v.nodeID) is \(v.quota) v\(v.version)."
        }
    }
}

struct Allocations: ParsableCommand {
    static let configuration = CommandConfiguration(
        name: "allocations", abstract: "List allocations per node: in force, and proposals with their answer.",
        arguments: [Argument("EVENT", help: "Only this event.", optional: true)])

    static func run(_ arguments: ParsedArguments) throws {
        let context = CentralContext(arguments)
        let views = try CentralAllocations(connection: try context.connect()).list(eventID: arguments.argument("EVENT"))
        context.output.emit(views) { views in
            TextTable.render(["EVENT", "CATEGORY", "NODE", "QUOTA", "VERSION", "PROPOSAL"], views.map { v in
                [v.eventID, v.categoryCode, v.nodeID, String(v.quota), String(v.version),
                 v.proposalStatus.map { "\($0) v\(v.proposedVersion ?? 0): \(v.proposedQuota ?? 0)\(v.proposalError.map { " (\($0))" } ?? "")" } ?? "-"]
            })
        }
    }
}

struct Events: ParsableCommand {
    static let configuration = CommandConfiguration(name: "events", abstract: "List events with what all nodes sold.")

    static func run(_ arguments: ParsedArguments) throws {
        let context = CentralContext(arguments)
        let events = try CentralCatalog(connection: try context.connect()).events()
        context.output.emit(events) { events in
            TextTable.render(["EVENT", "STATUS", "STARTS", "SOLD", "CAPACITY", "REVENUE", "NAME"], events.map {
                [$0.id, $0.status, String($0.startsAt.description.prefix(16)), String($0.sold), $0.capacity.map(String.init) ?? "-",
                 String($0.revenueMinor), $0.name]
            })
        }
    }
}

struct EventCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        name: "event", abstract: "Cancel, close or reopen an event for every node.", subcommands: [Cancel.self, Close.self, Reopen.self])

    static func change(_ arguments: ParsedArguments, to status: String) throws {
        let context = CentralContext(arguments)
        let summary = try CentralCatalog(connection: try context.connect()).changeStatus(
            try arguments.requiredArgument("EVENT"), to: status, reason: arguments.value("--reason"), now: context.now)
        context.output.emit(summary) { "Event \($0.id) is \($0.status); every node applies it when it next pulls." }
    }

    struct Cancel: ParsableCommand {
        static let configuration = CommandConfiguration(
            name: "cancel", abstract: "Cancel an event: every node stops selling, queues refunds and tells customers.",
            arguments: [Argument("EVENT", help: "The event id.")],
            options: [.value("--reason", "TEXT", required: true, help: "Told to customers.")])
        static func run(_ arguments: ParsedArguments) throws { try change(arguments, to: "cancelled") }
    }

    struct Close: ParsableCommand {
        static let configuration = CommandConfiguration(name: "close", abstract: "Stop sales of an event everywhere.",
                                                        arguments: [Argument("EVENT", help: "The event id.")])
        static func run(_ arguments: ParsedArguments) throws { try change(arguments, to: "closed") }
    }

    struct Reopen: ParsableCommand {
        static let configuration = CommandConfiguration(name: "reopen", abstract: "Put a closed event back on sale everywhere.",
                                                        arguments: [Argument("EVENT", help: "The event id.")])
        static func run(_ arguments: ParsedArguments) throws { try change(arguments, to: "on_sale") }
    }
}

struct Nodes: ParsableCommand {
    static let configuration = CommandConfiguration(
        name: "nodes", abstract: "Each node's epoch, push cursor, last push, outbox lag, pull position, parked records and clock offset.")

    static func run(_ arguments: ParsedArguments) throws {
        let context = CentralContext(arguments)
        let nodes = try NodesReport(connection: try context.connect()).nodes(now: context.now)
        context.output.emit(nodes) { nodes in
            nodes.isEmpty ? "No node has pushed yet." : TextTable.render(
                ["NODE", "EPOCH", "ACKED SEQ", "APPLIED", "PARKED", "PENDING", "LAG", "PULL", "BEHIND", "LAST PUSH", "SILENT", "CLOCK"], nodes.map {
                    [$0.id, String($0.epoch), String($0.acknowledgedSeq), String($0.recordsApplied), String($0.recordsParked),
                     String($0.outboxPending), "\($0.lagSeconds)s", String($0.pullCursor), String($0.changesBehind),
                     $0.lastPushAt.map { String($0.description.prefix(19)) } ?? "never", $0.silentSeconds.map { "\($0)s" } ?? "-",
                     $0.clockOffsetSeconds.map { "\($0 >= 0 ? "+" : "")\($0)s" } ?? "-"]
                })
        }
    }
}

struct Parked: ParsableCommand {
    static let configuration = CommandConfiguration(
        name: "parked", abstract: "A node's records central could never apply, with their errors; --retry applies them again.",
        discussion: """
            After a fix (a central that knows a newer record type, a widened column), --retry applies the parked records
            again, oldest first, each on its own: those that apply join the rest, the others stay parked with their new
            error. Exit code 10 when records are still parked after a retry.
            """,
        arguments: [Argument("NODE", help: "The node id.")],
        options: [.flag("--retry", help: "Apply the parked records again.")])

    static func run(_ arguments: ParsedArguments) throws {
        let context = CentralContext(arguments)
        let node = try arguments.requiredArgument("NODE")
        let connection = try context.connect()
        guard arguments.flag("--retry") else {
            let items = try NodesReport(connection: connection).parked(node: node)
            context.output.emit(items) { items in
                items.isEmpty ? "Nothing parked." : TextTable.render(["SEQ", "TYPE", "ENTITY", "RECEIVED", "ERROR"], items.map {
                    [String($0.seq), $0.type, $0.entityID, $0.receivedAt.map { String($0.description.prefix(19)) } ?? "-", $0.error]
                })
            }
            return
        }
        let results = try PushReceiver(connection: connection).retryParked(node: node)
        context.output.emit(results) { results in
            results.isEmpty ? "Nothing parked." : TextTable.render(["SEQ", "TYPE", "ENTITY", "RESULT"], results.map {
                [String($0.seq), $0.type, $0.entityID, $0.applied ? "applied" : "still parked: \($0.error ?? "")"]
            })
        }
        let remaining = results.filter { !$0.applied }.count
        if remaining > 0 {
            throw Failure(exitCode: 10, code: "still_parked", message: "\(remaining) record(s) of \(node) still parked", outcomePrinted: true)
        }
    }
}
