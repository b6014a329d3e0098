import CLIKit
import Central
import MySQLClient
import SyncWire

/// The event id, first argument of several commands.
private let eventArgument = TypedArgument("EVENT", help: "The event id.")

struct Allocate: ParsableCommand {
    static let category = TypedOption.text("--category", "C", required: true, help: "Price category code.")
    static let node = TypedOption.text("--node", "N", required: true, help: "The node id.")
    static let quota = TypedOption.integer("--quota", "Q", in: 0...10_000_000, help: "GA: how many tickets.")
    static let seats = ListOption(
        "--seats", "SELECTOR", help: "Seated: '*', a section, a row (SECTION-ROW) or seat labels.")
    static let configuration = CommandConfiguration(
        name: "allocate",
        abstract: "Propose what a node may sell of a category; the node accepts it if it keeps its sales.",
        usage: "EVENT --category C --node N (--quota Q | --seats SELECTOR...)",
        arguments: [eventArgument], options: [category, node, quota, seats])

    let context: CentralContext
    let request: AllocationRequest

    init(_ arguments: ParsedArguments) throws {
        context = try CentralContext(arguments)
        let quota = try arguments.value(Self.quota).map(Int.init)
        let seats = arguments.values(Self.seats)
        guard (quota == nil) != seats.isEmpty else {
            throw UsageError("give --quota Q or --seats SELECTOR..., not both")
        }
        request = AllocationRequest(
            eventID: try arguments.required(eventArgument), categoryCode: try arguments.required(Self.category),
            nodeID: try arguments.required(Self.node), quota: quota, seatSelectors: seats.isEmpty ? nil : seats)
    }

    func run() throws {
        let view = try CentralAllocations(connection: try context.connect()).propose(request, now: context.now)
        context.output.emit(view) { v in
            v.proposalStatus == .pending
                ? "Proposed v\(v.proposedVersion ?? 0) of \(v.eventID) \(v.categoryCode) to \(v.nodeID): \(v.proposedQuota ?? 0) (in force: \(v.quota) v\(v.version)); the node answers when it next syncs."
                : "Unchanged: \(v.eventID) \(v.categoryCode) for \(v.nodeID) is \(v.quota) v\(v.version)."
        }
    }
}

struct Allocations: ParsableCommand {
    static let event = TypedArgument("EVENT", help: "Only this event.", optional: true)
    static let configuration = CommandConfiguration(
        name: "allocations", abstract: "List allocations per node: in force, and proposals with their answer.",
        arguments: [event])

    let context: CentralContext
    let eventID: String?

    init(_ arguments: ParsedArguments) throws {
        context = try CentralContext(arguments)
        eventID = arguments.value(Self.event)
    }

    func run() throws {
        let views = try CentralAllocations(connection: try context.connect()).list(eventID: eventID)
        context.output.emit(views) { views in
            TextTable.render(
                ["EVENT", "CATEGORY", "NODE", "QUOTA", "VERSION", "PROPOSAL"],
                views.map { v in
                    [
                        v.eventID, v.categoryCode, v.nodeID, String(v.quota), String(v.version),
                        v.proposalStatus.map {
                            "\($0) v\(v.proposedVersion ?? 0): \(v.proposedQuota ?? 0)\(v.proposalError.map { " (\($0))" } ?? "")"
                        } ?? "-",
                    ]
                })
        }
    }
}

struct Events: ParsableCommand {
    static let configuration = CommandConfiguration(name: "events", abstract: "List events with what all nodes sold.")

    let context: CentralContext

    init(_ arguments: ParsedArguments) throws { context = try CentralContext(arguments) }

    func run() throws {
        let events = try CentralCatalog(connection: try context.connect()).events()
        context.output.emit(events) { events in
            TextTable.render(
                ["EVENT", "STATUS", "STARTS", "SOLD", "CAPACITY", "REVENUE", "NAME"],
                events.map {
                    [
                        $0.id, $0.status.rawValue, $0.startsAt.local(in: $0.timezone), String($0.sold),
                        $0.capacity.map(String.init) ?? "-",
                        String($0.revenueMinor), $0.name,
                    ]
                })
        }
    }
}

struct EventCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        name: "event", abstract: "Cancel, close or reopen an event for every node.",
        subcommands: [Cancel.self, Close.self, Reopen.self])

    init(_ arguments: ParsedArguments) {}

    /// One status change of one event, read from the command line.
    struct Change: Sendable {
        let context: CentralContext
        let eventID: String
        let status: EventStatus
        let reason: String?

        init(_ arguments: ParsedArguments, to status: EventStatus, reason: TypedOption<String>? = nil) throws {
            context = try CentralContext(arguments)
            eventID = try arguments.required(eventArgument)
            self.status = status
            self.reason = try reason.map { try arguments.required($0) }
        }

        func run() throws {
            let summary = try CentralCatalog(connection: try context.connect()).changeStatus(
                eventID, to: status, reason: reason, now: context.now)
            context.output.emit(summary) { "Event \($0.id) is \($0.status); every node applies it when it next pulls." }
        }
    }

    struct Cancel: ParsableCommand {
        static let reason = TypedOption.text("--reason", "TEXT", required: true, help: "Told to customers.")
        static let configuration = CommandConfiguration(
            name: "cancel", abstract: "Cancel an event: every node stops selling, queues refunds and tells customers.",
            arguments: [eventArgument], options: [reason])
        let change: Change
        init(_ arguments: ParsedArguments) throws {
            change = try Change(arguments, to: .cancelled, reason: Self.reason)
        }
        func run() throws { try change.run() }
    }

    struct Close: ParsableCommand {
        static let configuration = CommandConfiguration(
            name: "close", abstract: "Stop sales of an event everywhere.", arguments: [eventArgument])
        let change: Change
        init(_ arguments: ParsedArguments) throws { change = try Change(arguments, to: .closed) }
        func run() throws { try change.run() }
    }

    struct Reopen: ParsableCommand {
        static let configuration = CommandConfiguration(
            name: "reopen", abstract: "Put a closed event back on sale everywhere.",
            arguments: [eventArgument])
        let change: Change
        init(_ arguments: ParsedArguments) throws { change = try Change(arguments, to: .onSale) }
        func run() throws { try change.run() }
    }
}

struct Nodes: ParsableCommand {
    static let watch = FlagOption("--watch", help: "Refresh the table in place, as top does, until Ctrl-C.")
    static let interval = TypedOption.duration(
        "--interval", in: 0.1...3600, help: "With --watch: the time between refreshes (default 2s).")
    static let iterations = TypedOption.integer(
        "--iterations", "N", in: 1...1_000_000, help: "With --watch: stop after N refreshes.")
    static let silence = TypedOption.seconds(
        "--silence", in: 1...31_536_000,
        help:
            "With --watch: a node is silent, and listed first, after D without contact (default 2m, as VenueNodeSilent)."
    )
    static let configuration = CommandConfiguration(
        name: "nodes",
        abstract:
            "Each node's state, epoch, push cursor, last push, outbox lag, pull position, parked records and clock offset.",
        discussion: """
            With --watch the table is read again every --interval and drawn over the last on a terminal (into a pipe
            or file, one table after another); a central that cannot be read shows its error and is read again at the
            next refresh. On a terminal the nodes that need attention come first (silent, then of a protocol central
            no longer accepts, then back after its retirement without a reinstatement, then with records pending or
            parked; retired last), each line is cut to the width and
            the rows that do not fit the height are counted. Ages are measured on central's clock. With --iterations, exit code 8 (or the error's) when
            no refresh could read central. A retired node (gone for good) shows as RETIRED, with when and why, under
            the table.
            """,
        usage:
            "[--watch [--interval D] [--iterations N] [--silence D]] | retire NODE [--reason TEXT] [--force] "
            + "| reinstate NODE",
        options: [watch, interval, iterations, silence], subcommands: [Retire.self, Reinstate.self])

    let context: CentralContext
    let watching: Bool
    let interval: Double
    let iterations: Int?
    let silenceSeconds: Int64

    init(_ arguments: ParsedArguments) throws {
        context = try CentralContext(arguments)
        watching = arguments.isSet(Self.watch)
        let interval = try arguments.value(Self.interval)
        let iterations = try arguments.value(Self.iterations)
        self.interval = interval ?? 2
        self.iterations = iterations.map { Int($0) }
        if !watching, interval != nil || iterations != nil {
            throw UsageError("--interval and --iterations go with --watch")
        }
        if !watching, try arguments.value(Self.silence) != nil { throw UsageError("--silence goes with --watch") }
        // The page's threshold (venue:node_silent), not reconcile's hour: the watch is where the
        // paged engineer looks first.
        silenceSeconds = try arguments.value(Self.silence) ?? 120
        if watching, context.output.json { throw UsageError("--watch draws a table; --json prints once") }
    }

    func run() throws {
        guard watching else {
            let connection = try context.connect()
            let nodes = try NodesReport(connection: connection).nodes()
            context.output.emit(nodes) { Self.table($0) + members(using: connection) }
            return
        }
        var connection: MySQLConnection?
        var read = 0
        var lastError: Error?
        let every = interval == interval.rounded() ? "\(Int(interval))s" : "\(Int(interval * 1000))ms"
        func header(_ now: Timestamp) -> String {
            "central nodes, every \(every), at \(now.description.prefix(19))Z (Ctrl-C to stop)"
        }
        Watch.run(every: interval, frames: iterations) { size in
            do {
                let live = try connection ?? context.connect(refreshing: true)
                connection = live
                let report = NodesReport(connection: live)
                let now = try report.centralNow()
                var nodes = try report.nodes(now: now)
                let versions = try report.protocolVersions()
                if size != nil {
                    nodes = NodeAttention.ordered(nodes, silenceSeconds: silenceSeconds, protocolVersions: versions)
                }
                // The title and a blank line above; the screen's last line left empty. STATE says
                // why a node is near the top, the SILENT column being the first a narrow screen cuts.
                let table = Self.table(nodes, lines: size.map { $0.rows - 3 }) {
                    NodeAttention(of: $0, silenceSeconds: silenceSeconds, protocolVersions: versions)
                }
                read += 1
                return header(now) + "\n\n" + table
            } catch {
                connection = nil
                lastError = error
                return header(context.now)
                    + "\n\nError: \(CentralTool.describe(error).message) (read again in a moment)"
            }
        }
        // A bounded watch (a script's) whose every refresh failed did not show the fleet: its exit
        // code says why, as a single read's would.
        if read == 0, let lastError { throw lastError }
    }

    /// A node's STATE: RETIRED, or given its attention SILENT or PROTOCOL (one central no longer
    /// accepts), else BACK (heard from after its retirement, not reinstated), else active.
    static func state(_ node: NodeReport, _ attention: NodeAttention?) -> String {
        if node.retired != nil { return "RETIRED" }
        switch attention {
        case .silent: return "SILENT"
        case .incompatible: return "PROTOCOL"
        default: return node.backWithoutReinstatement ? "BACK" : "active"
        }
    }

    /// The table of `nodes` in their order, with the notes under it. Given `lines`, at most that
    /// many: the heading and the first nodes that fit with their notes, then how many more there are.
    /// `attention`, given, names in STATE a node silent or of a protocol central no longer takes.
    static func table(
        _ nodes: [NodeReport], lines: Int? = nil, attention: ((NodeReport) -> NodeAttention)? = nil
    ) -> String {
        guard !nodes.isEmpty else { return "No node has pushed yet." }
        let rendered = TextTable.render(
            [
                "NODE", "STATE", "EPOCH", "ACKED SEQ", "APPLIED", "PARKED", "PENDING", "LAG", "PULL", "BEHIND",
                "LAST PUSH", "SILENT", "CLOCK",
            ],
            nodes.map { node in
                [
                    node.id, Self.state(node, attention?(node)), String(node.epoch),
                    String(node.acknowledgedSeq), String(node.recordsApplied),
                    String(node.recordsParked),
                    String(node.outboxPending), "\(node.lagSeconds)s", String(node.pullCursor),
                    String(node.changesBehind),
                    node.lastPushAt.map { $0.local(in: node.timezone) } ?? "never",
                    node.silentSeconds.map { "\($0)s" } ?? "-",
                    node.clockOffsetSeconds.map { "\($0 >= 0 ? "+" : "")\($0)s" } ?? "-",
                ]
            })
        let rows = rendered.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        func text(_ shown: Int) -> String {
            let notes = Self.notes(nodes.prefix(shown))
            let table =
                rows.prefix(shown + 1).joined(separator: "\n")
                + (shown < nodes.count
                    ? "\n… \(nodes.count - shown) more node\(nodes.count - shown == 1 ? "" : "s"): 'central nodes' lists "
                        + "them all" : "")
            return notes.isEmpty ? table : table + "\n\n" + notes.joined(separator: "\n")
        }
        guard let lines else { return text(nodes.count) }
        var shown = nodes.count
        while shown > 0, text(shown).split(separator: "\n", omittingEmptySubsequences: false).count > lines {
            shown -= 1
        }
        return text(shown)
    }

    /// The lines under the table: each retired node's retirement, each node active again since its last.
    static func notes(_ nodes: ArraySlice<NodeReport>) -> [String] {
        nodes.compactMap { node -> String? in
            if let retired = node.retired {
                return "\(node.id) RETIRED \(retired.at.local(in: node.timezone)) by \(retired.by)"
                    + (retired.reason.map { ": \($0)" } ?? "")
            }
            return node.returnedFrom.map { retired in
                "\(node.id) "
                    + (node.reinstated.map { "active again: reinstated \($0.at.local(in: node.timezone)) by \($0.by)" }
                        ?? "BACK: last heard from \(node.lastSeenAt?.local(in: node.timezone) ?? "-"),")
                    + " after its retirement of \(retired.at.local(in: node.timezone)) by \(retired.by)"
                    + (retired.reason.map { " (\($0))" } ?? "")
                    + (node.reinstated == nil ? "; 'central nodes reinstate \(node.id)' if it is meant to be back" : "")
            }
        }
    }

    /// With a cluster's members in the URL: each member's state, and the one this command read.
    private func members(using connection: MySQLConnection) -> String {
        guard context.configuration.members.count > 1 else { return "" }
        return "\n\n"
            + TextTable.render(
                ["MEMBER", "STATE"],
                MemberProbe.probe(context.configuration).map { probe in
                    var state =
                        probe.state.map { state in
                            [
                                state.cluster.map { "\($0.nodeName), \($0.localState), cluster of \($0.size)" },
                                state.readOnly ? "read-only" : nil,
                            ]
                            .compactMap { $0 }.joined(separator: ", ")
                        } ?? "down: \(probe.error?.message ?? "")"
                    if probe.member == connection.member { state += " (read here)" }
                    return [probe.member.description, state]
                })
    }
}

extension Nodes {
    static let node = TypedArgument("NODE", help: "The node id.")

    struct Retire: ParsableCommand {
        static let reason = TypedOption.text(
            "--reason", "TEXT", help: "Why, in one line of at most 200 characters: shown by 'central nodes'.")
        static let force = FlagOption(
            "--force", help: "Retire it even with records it had not pushed at its last push, or records parked.")
        static let configuration = CommandConfiguration(
            name: "retire",
            abstract: "Tell central a node is gone for good (a venue closed, a box replaced under a new id).",
            discussion: """
                A retired node is no longer watched for silence (the fleet metrics' sync mode reads 'retired',
                VenueNodeSilent stays quiet, reconcile does not report it silent) and gets no new allocation; its
                records stay. Refused while its last push reported records it still held, or central holds records
                of it parked, unless --force. Should the node push or send a heartbeat again, its records are
                applied as ever and it is active again by itself.
                """,
            arguments: [Nodes.node], options: [reason, force])

        let context: CentralContext
        let nodeID: String
        let reason: String?
        let force: Bool

        init(_ arguments: ParsedArguments) throws {
            context = try CentralContext(arguments)
            nodeID = try arguments.required(Nodes.node)
            reason = try arguments.value(Self.reason)
            force = arguments.isSet(Self.force)
            // Refused before central is asked anything, even while it cannot be reached.
            if let reason { try NodeRetirements.check(reason) }
        }

        func run() throws {
            let node: NodeReport
            do {
                node = try NodeRetirements(connection: try context.connect()).retire(
                    node: nodeID, reason: reason, force: force)
            } catch CentralError.rejected(let code, let message)
                where ["records_waiting", "records_parked"].contains(code)
            {
                throw CentralError.rejected(code: code, message: message + "; or give --force to retire it anyway")
            }
            context.output.emit(node) { node in
                let retired = node.retired
                var text =
                    "Retired \(node.id)" + (retired?.reason.map { " (\($0))" } ?? "") + ": no longer watched for "
                    + "silence and no new allocation; its records stay."
                if node.outboxPending > 0 || node.recordsParked > 0 {
                    text +=
                        " It had \(node.outboxPending) record(s) not pushed at its last push and "
                        + "\(node.recordsParked) parked at central."
                }
                return text + " If it pushes again, its records are applied and it is active again."
            }
        }
    }

    struct Reinstate: ParsableCommand {
        static let configuration = CommandConfiguration(
            name: "reinstate", abstract: "Make a retired node active again: watched for silence, allocated to.",
            arguments: [Nodes.node])

        let context: CentralContext
        let nodeID: String

        init(_ arguments: ParsedArguments) throws {
            context = try CentralContext(arguments)
            nodeID = try arguments.required(Nodes.node)
        }

        func run() throws {
            let node = try NodeRetirements(connection: try context.connect()).reinstate(node: nodeID)
            context.output.emit(node) { node in
                "\(node.id) is active again: watched for silence"
                    + (node.silentSeconds.map { " (last heard from \($0)s ago)" } ?? " (never heard from)")
                    + " and allocated to."
            }
        }
    }
}

struct Parked: ParsableCommand {
    static let node = TypedArgument("NODE", help: "The node id.")
    static let retry = FlagOption("--retry", help: "Apply the parked records again.")
    static let configuration = CommandConfiguration(
        name: "parked",
        abstract: "A node's records central could never apply, with their errors; --retry applies them again.",
        discussion: """
            After a fix (a central that knows a newer record type, a widened column), --retry applies the parked records
            again, oldest first, each on its own: those that apply join the rest, the others stay parked with their new
            error. Exit code 10 when records are still parked after a retry.
            """,
        arguments: [node], options: [retry])

    let context: CentralContext
    let nodeID: String
    let retry: Bool

    init(_ arguments: ParsedArguments) throws {
        context = try CentralContext(arguments)
        nodeID = try arguments.required(Self.node)
        retry = arguments.isSet(Self.retry)
    }

    func run() throws {
        let connection = try context.connect()
        guard retry else {
            let items = try NodesReport(connection: connection).parked(node: nodeID)
            context.output.emit(items) { items in
                items.isEmpty
                    ? "Nothing parked."
                    : TextTable.render(
                        ["SEQ", "TYPE", "ENTITY", "RECEIVED", "ERROR"],
                        items.map { item in
                            [
                                String(item.seq), item.type, item.entityID,
                                item.receivedAt.map { $0.local(in: item.timezone) } ?? "-", item.error,
                            ]
                        })
            }
            return
        }
        let results = try PushReceiver(connection: connection).retryParked(node: nodeID)
        context.output.emit(results) { results in
            results.isEmpty
                ? "Nothing parked."
                : TextTable.render(
                    ["SEQ", "TYPE", "ENTITY", "RESULT"],
                    results.map {
                        [
                            String($0.seq), $0.type, $0.entityID,
                            $0.applied ? "applied" : "still parked: \($0.error ?? "")",
                        ]
                    })
        }
        let remaining = results.filter { !$0.applied }.count
        if remaining > 0 {
            throw Failure(
                exitCode: 10, code: "still_parked", message: "\(remaining) record(s) of \(nodeID) still parked",
                outcomePrinted: true)
        }
    }
}
