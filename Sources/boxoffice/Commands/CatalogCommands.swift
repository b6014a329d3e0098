import AtomicFiles
import CLIKit
import SyncWire
import Ticketing

struct Events: ParsableCommand {
    static let configuration = CommandConfiguration(
        name: "events", abstract: "List events with their status and sales.")

    let context: Context

    init(_ arguments: ParsedArguments) throws { context = try Context(arguments) }

    func run() throws {
        let events = try context.node().catalog.events()
        context.output.emit(events) { events in
            events.isEmpty
                ? "No events; load some with 'boxoffice import FILE'."
                : TextTable.render(
                    ["EVENT", "STATUS", "STARTS", "SOLD", "HELD", "QUOTA", "NAME"],
                    events.map {
                        [
                            $0.id, $0.status.rawValue, $0.startsAt.local(in: $0.timezone), String($0.sold),
                            String($0.held),
                            String($0.quota), $0.name,
                        ]
                    })
        }
    }
}

struct Availability: ParsableCommand {
    static let configuration = CommandConfiguration(
        name: "availability", abstract: "What this box office can still sell of an event, per category.",
        arguments: [CommonOptions.event])

    let context: Context
    let eventID: String

    init(_ arguments: ParsedArguments) throws {
        context = try Context(arguments)
        eventID = try arguments.required(CommonOptions.event)
    }

    func run() throws {
        let availability = try context.node().inventory.availability(eventID: eventID)
        context.output.emit(availability) { a in
            let header =
                "\(a.eventID)  \(a.name)  [\(a.status.rawValue)]  starts \(a.startsAt.local(in: a.timezone))\n"
                + "event: sold \(a.sold), held \(a.held)\(a.capacity.map { ", capacity \($0)" } ?? "")\n"
            return header
                + TextTable.render(
                    ["CATEGORY", "KIND", "PRICE", "QUOTA", "SOLD", "HELD", "AVAILABLE", "NAME"],
                    a.categories.map {
                        [
                            $0.code, $0.kind.rawValue, $0.price.description, String($0.quota), String($0.sold),
                            String($0.held), String($0.available), $0.name,
                        ]
                    })
        }
    }
}

struct Seats: ParsableCommand {
    static let category = TypedOption.text("--category", "C", help: "Only this seated category.")
    static let available = FlagOption("--available", help: "Only seats this box office can sell now.")
    static let svg = TypedOption.text(
        "--svg", "FILE", help: "Draw the hall instead: stage, every seat coloured by its state, a legend (SVG).")
    static let configuration = CommandConfiguration(
        name: "seats", abstract: "The seat map of an event: each row's seats by status, or drawn (--svg).",
        usage: "EVENT [--category C] [--available] | EVENT --svg FILE [--force]", arguments: [CommonOptions.event],
        options: [category, available, svg, CommonOptions.force])

    let context: Context
    let eventID: String
    let category: String?
    let onlyAvailable: Bool
    let svgFile: String?
    let replacing: Bool

    init(_ arguments: ParsedArguments) throws {
        context = try Context(arguments)
        eventID = try arguments.required(CommonOptions.event)
        category = try arguments.value(Self.category)
        onlyAvailable = arguments.isSet(Self.available)
        svgFile = try arguments.value(Self.svg)
        replacing = arguments.isSet(CommonOptions.force)
        if svgFile != nil, category != nil || onlyAvailable {
            throw UsageError("--svg draws the whole hall; it takes neither --category nor --available")
        }
        if replacing, svgFile == nil { throw UsageError("--force goes with --svg FILE") }
    }

    func run() throws {
        if let svgFile {
            // The drawing shows which seats are checked in and held: the door's and the till's
            // knowledge, for a signed-in user, as the API's seat map.
            let (node, actor) = try context.signedIn()
            let plan = try node.inventory.seatPlan(eventID: eventID, by: actor)
            let file = try context.outputFile(svgFile, replacing: replacing)
            try file.write(Array(plan.svg.utf8))
            let seats = plan.sections.flatMap(\.rows).flatMap(\.seats)
            context.output.emit(SeatPlanSummary(file: svgFile, seats: seats.count)) {
                "Seat map of \(eventID) (\($0.seats) seats) written to \($0.file)."
            }
            return
        }
        var seats = try context.node().inventory.seats(eventID: eventID, categoryCode: category)
        if onlyAvailable { seats = seats.filter { $0.status == .available } }
        context.output.emit(seats) { seats in
            guard !seats.isEmpty else { return "No seats." }
            var lines = [String]()
            var current = ""
            var groups = [(SeatStatus, [Int])]()
            func flush() {
                guard !current.isEmpty else { return }
                lines.append(
                    "\(current)  " + groups.map { "\($0.0) \(SeatRanges.compact($0.1))" }.joined(separator: "; "))
                groups = []
            }
            for seat in seats {
                let row = "\(seat.category) \(seat.section)-\(seat.row)"
                if row != current {
                    flush()
                    current = row
                }
                if let last = groups.indices.last, groups[last].0 == seat.status {
                    groups[last].1.append(seat.number)
                } else {
                    groups.append((seat.status, [seat.number]))
                }
            }
            flush()
            return lines.joined(separator: "\n")
        }
    }
}

/// What `seats --svg` wrote.
struct SeatPlanSummary: Encodable {
    let file: String
    let seats: Int
}

/// `1-4, 7, 9-12` from seat numbers.
enum SeatRanges {
    static func compact(_ numbers: [Int]) -> String {
        var parts = [String]()
        var start: Int?
        var previous: Int?
        for number in numbers.sorted() {
            if let p = previous, number == p + 1 {
                previous = number
                continue
            }
            if let s = start, let p = previous { parts.append(s == p ? "\(s)" : "\(s)-\(p)") }
            start = number
            previous = number
        }
        if let s = start, let p = previous { parts.append(s == p ? "\(s)" : "\(s)-\(p)") }
        return parts.joined(separator: ", ")
    }
}

struct EventCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        name: "event", abstract: "Publish, close, reopen or cancel an event (supervisors).",
        subcommands: [Publish.self, Close.self, Reopen.self, Cancel.self])

    init(_ arguments: ParsedArguments) {}

    /// One change of status, as each subcommand reads it.
    struct Change: Sendable {
        let context: Context
        let eventID: String
        let reason: String?

        init(_ arguments: ParsedArguments, reason: TypedOption<String>? = nil) throws {
            context = try Context(arguments)
            eventID = try arguments.required(CommonOptions.event)
            self.reason = try reason.flatMap { try arguments.value($0) }
        }

        func apply(_ status: EventStatus) throws {
            let (node, actor) = try context.signedIn()
            let change = try node.catalog.changeStatus(eventID, to: status, reason: reason, by: actor)
            context.output.emit(change) { change in
                var text =
                    "Event \(change.event.id): \(change.previousStatus.rawValue) → \(change.event.status.rawValue)."
                if status == .cancelled {
                    text += " Refunds queued: \(change.refundsQueued); holds released: \(change.holdsReleased)."
                }
                return text
            }
        }
    }

    /// Why an event is published, closed or reopened: optional, kept in the audit log and sent to central.
    static let reason = TypedOption.text("--reason", "TEXT", help: "Why, for the audit log and central.")

    struct Publish: ParsableCommand {
        static let configuration = CommandConfiguration(
            name: "publish", abstract: "Put a draft event on sale.", arguments: [CommonOptions.event],
            options: [EventCommand.reason])
        let change: Change
        init(_ arguments: ParsedArguments) throws { change = try Change(arguments, reason: EventCommand.reason) }
        func run() throws { try change.apply(.onSale) }
    }

    struct Close: ParsableCommand {
        static let configuration = CommandConfiguration(
            name: "close", abstract: "Stop sales of an event.", arguments: [CommonOptions.event],
            options: [EventCommand.reason])
        let change: Change
        init(_ arguments: ParsedArguments) throws { change = try Change(arguments, reason: EventCommand.reason) }
        func run() throws { try change.apply(.closed) }
    }

    struct Reopen: ParsableCommand {
        static let configuration = CommandConfiguration(
            name: "reopen", abstract: "Put a closed event back on sale.", arguments: [CommonOptions.event],
            options: [EventCommand.reason])
        let change: Change
        init(_ arguments: ParsedArguments) throws { change = try Change(arguments, reason: EventCommand.reason) }
        func run() throws { try change.apply(.onSale) }
    }

    struct Cancel: ParsableCommand {
        static let reason = TypedOption.text("--reason", "TEXT", required: true, help: "Told to customers.")
        static let configuration = CommandConfiguration(
            name: "cancel", abstract: "Cancel an event: stop sales, queue refunds and tell customers.",
            arguments: [CommonOptions.event], options: [reason])
        let change: Change
        init(_ arguments: ParsedArguments) throws { change = try Change(arguments, reason: Self.reason) }
        func run() throws { try change.apply(.cancelled) }
    }
}
