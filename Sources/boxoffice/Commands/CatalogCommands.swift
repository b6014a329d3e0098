import CLIKit
import Ticketing

struct Events: ParsableCommand {
    static let configuration = CommandConfiguration(name: "events", abstract: "List events with their status and sales.")

    static func run(_ arguments: ParsedArguments) throws {
        let context = Context(arguments)
        let events = try context.node().catalog.events()
        context.output.emit(events) { events in
            events.isEmpty ? "No events; load some with 'boxoffice import FILE'." : TextTable.render(
                ["EVENT", "STATUS", "STARTS", "SOLD", "HELD", "QUOTA", "NAME"],
                events.map { [$0.id, $0.status.rawValue, String($0.startsAt.description.prefix(16)), String($0.sold), String($0.held),
                              String($0.quota), $0.name] })
        }
    }
}

struct Availability: ParsableCommand {
    static let configuration = CommandConfiguration(
        name: "availability", abstract: "What this box office can still sell of an event, per category.",
        arguments: [Argument("EVENT", help: "The event id.")])

    static func run(_ arguments: ParsedArguments) throws {
        let context = Context(arguments)
        let availability = try context.node().inventory.availability(eventID: try arguments.requiredArgument("EVENT"))
        context.output.emit(availability) { a in
            let header = "\(a.eventID)  \(a.name)  [\(a.status.rawValue)]  starts \(a.startsAt)\n"
                + "event: sold \(a.sold), held \(a.held)\(a.capacity.map { ", capacity \($0)" } ?? "")\n"
            return header + TextTable.render(
                ["CATEGORY", "KIND", "PRICE", "QUOTA", "SOLD", "HELD", "AVAILABLE", "NAME"],
                a.categories.map { [$0.code, $0.kind.rawValue, $0.price.description, String($0.quota), String($0.sold),
                                    String($0.held), String($0.available), $0.name] })
        }
    }
}

struct Seats: ParsableCommand {
    static let configuration = CommandConfiguration(
        name: "seats", abstract: "The seat map of an event: each row's seats by status.",
        arguments: [Argument("EVENT", help: "The event id.")],
        options: [.value("--category", "C", help: "Only this seated category."),
                  .flag("--available", help: "Only seats this box office can sell now.")])

    static func run(_ arguments: ParsedArguments) throws {
        let context = Context(arguments)
        var seats = try context.node().inventory.seats(eventID: try arguments.requiredArgument("EVENT"),
                                                        categoryCode: arguments.value("--category"))
        if arguments.flag("--available") { seats = seats.filter { $0.status == "available" } }
        context.output.emit(seats) { seats in
            guard !seats.isEmpty else { return "No seats." }
            var lines = [String](), current = "", groups = [(String, [Int])]()
            func flush() {
                guard !current.isEmpty else { return }
                lines.append("\(current)  " + groups.map { "\($0.0) \(SeatRanges.compact($0.1))" }.joined(separator: "; "))
                groups = []
            }
            for seat in seats {
                let row = "\(seat.category) \(seat.section)-\(seat.row)"
                if row != current { flush(); current = row }
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

/// `1-4, 7, 9-12` from seat numbers.
enum SeatRanges {
    static func compact(_ numbers: [Int]) -> String {
        var parts = [String](), start: Int?, previous: Int?
        for number in numbers.sorted() {
            if let p = previous, number == p + 1 { previous = number; continue }
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

    static func change(_ arguments: ParsedArguments, to status: EventStatus) throws {
        let context = Context(arguments)
        let (node, actor) = try context.signedIn()
        let change = try node.catalog.changeStatus(try arguments.requiredArgument("EVENT"), to: status,
                                                   reason: arguments.value("--reason"), by: actor)
        context.output.emit(change) { change in
            var text = "Event \(change.event.id): \(change.previousStatus.rawValue) → \(change.event.status.rawValue)."
            if status == .cancelled {
                text += " Refunds queued: \(change.refundsQueued); holds released: \(change.holdsReleased)."
            }
            return text
        }
    }

    struct Publish: ParsableCommand {
        static let configuration = CommandConfiguration(name: "publish", abstract: "Put a draft event on sale.",
                                                        arguments: [Argument("EVENT", help: "The event id.")])
        static func run(_ arguments: ParsedArguments) throws { try change(arguments, to: .onSale) }
    }

    struct Close: ParsableCommand {
        static let configuration = CommandConfiguration(name: "close", abstract: "Stop sales of an event.",
                                                        arguments: [Argument("EVENT", help: "The event id.")])
        static func run(_ arguments: ParsedArguments) throws { try change(arguments, to: .closed) }
    }

    struct Reopen: ParsableCommand {
        static let configuration = CommandConfiguration(name: "reopen", abstract: "Put a closed event back on sale.",
                                                        arguments: [Argument("EVENT", help: "The event id.")])
        static func run(_ arguments: ParsedArguments) throws { try change(arguments, to: .onSale) }
    }

    struct Cancel: ParsableCommand {
        static let configuration = CommandConfiguration(
            name: "cancel", abstract: "Cancel an event: stop sales, queue refunds and tell customers.",
            arguments: [Argument("EVENT", help: "The event id.")],
            options: [.value("--reason", "TEXT", required: true, help: "Told to customers.")])
        static func run(_ arguments: ParsedArguments) throws { try change(arguments, to: .cancelled) }
    }
}
