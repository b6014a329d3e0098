import AtomicFiles
import CLIKit
import FoundationEssentials
import Printing
import SyncWire
import Ticketing

#if canImport(Glibc)
    import Glibc
#endif

struct CheckIn: ParsableCommand {
    static let code = TypedArgument(
        "CODE", help: "The ticket's code: read from its QR code, or typed (its short code, at the node that sold it).",
        optional: true)
    static let gate = TypedOption.text(
        "--gate", "G", help: "The gate (recorded, and named when the ticket comes again).")
    static let event = TypedOption.text(
        "--event", "EVENT",
        help: "Only this event's tickets (default: an event whose doors are open, 12 h before its start to 6 h after).")
    static let importFile = TypedOption.text(
        "--import", "FILE", help: "Record an offline scanner's admissions (SyncProtocol/scanner.md) instead of CODE.")
    static let configuration = CommandConfiguration(
        name: "checkin", abstract: "Let a ticket in at the door (once), whichever node of the venue sold it.",
        usage: "CODE [--gate G] [--event EVENT] | --import FILE [--gate G]", arguments: [code],
        options: [gate, event, importFile])

    let context: Context
    let code: String?
    let gate: String?
    let eventID: String?
    let importFile: String?

    init(_ arguments: ParsedArguments) throws {
        context = try Context(arguments)
        code = try arguments.value(Self.code)
        gate = try arguments.value(Self.gate)
        eventID = try arguments.value(Self.event)
        importFile = try arguments.value(Self.importFile)
        switch (code, importFile) {
        case (nil, nil): throw UsageError("give the ticket's CODE, or --import FILE")
        case (_?, _?): throw UsageError("give CODE or --import FILE, not both")
        case (nil, _?) where eventID != nil: throw UsageError("--event goes with CODE; an import names its event")
        default: break
        }
    }

    func run() throws {
        // The file is read before the database is opened: a close of any file this process has
        // open drops its SQLite locks should the path name the database (check-tree's rule).
        let admissions = try importFile.map(ScannerFile.read)
        let (node, actor) = try context.signedIn()
        if let admissions {
            let result = try node.door.importScanner(admissions, gate: gate, by: actor)
            context.output.emit(result) { result in
                var lines = [
                    "Scanner \(result.scanner), \(result.eventID): \(result.recorded) admission(s) recorded"
                        + (result.alreadyImported > 0 ? ", \(result.alreadyImported) imported before" : "")
                        + (result.conflicts.isEmpty ? "." : ", \(result.conflicts.count) conflict(s):")
                ]
                lines += result.conflicts.map { "  \($0.kind): \($0.message)" }
                return lines.joined(separator: "\n")
            }
            return
        }
        let result = try node.door.checkIn(code: code!, gate: gate, eventID: eventID, by: actor)
        context.output.emit(result) {
            "Welcome: \($0.ticketCode) \($0.eventID)" + ($0.category.map { " \($0)" } ?? "")
                + ($0.seat.map { " seat \($0)" } ?? "")
                + ($0.category == nil && $0.seat == nil ? ", sold at \($0.soldBy): seat as on the ticket" : "")
                + ($0.gate.map { " (gate \($0))" } ?? "") + "."
        }
    }
}

struct ScanListCommand: ParsableCommand {
    static let out = TypedOption.text("--out", "FILE", required: true, help: "Where to write it (0600).")
    static let configuration = CommandConfiguration(
        name: "scan-list",
        abstract: "Write what an offline scanner needs for one event (supervisors; SyncProtocol/scanner.md).",
        usage: "EVENT --out FILE [--force]", arguments: [CommonOptions.event], options: [out, CommonOptions.force])

    let context: Context
    let eventID: String
    let out: String
    let replacing: Bool

    init(_ arguments: ParsedArguments) throws {
        context = try Context(arguments)
        eventID = try arguments.required(CommonOptions.event)
        out = try arguments.required(Self.out)
        replacing = arguments.isSet(CommonOptions.force)
    }

    func run() throws {
        let (node, actor) = try context.signedIn()
        let list = try node.door.scanList(eventID: eventID, by: actor)
        let file = try context.outputFile(out, replacing: replacing)
        try file.write(Array((try JSONText.encode(list) + "\n").utf8))
        context.output.emit(ScanListSummary(list: list, file: out)) {
            "Scan list for \($0.eventID) written to \($0.file): \($0.keys) key(s), \($0.revoked) ticket(s) taken back, "
                + "\($0.admitted) already admitted, \($0.vouched) vouched for without a signature."
        }
    }
}

/// What `scan-list` wrote.
struct ScanListSummary: Encodable {
    let eventID: String
    let file: String
    let keys: Int
    let revoked: Int
    let admitted: Int
    let vouched: Int

    init(list: ScanList, file: String) {
        eventID = list.event.id
        self.file = file
        keys = list.keys.count
        revoked = list.revoked.count
        admitted = list.admitted.count
        vouched = list.vouched.count
    }
}

struct Keys: ParsableCommand {
    static let configuration = CommandConfiguration(
        name: "keys", abstract: "The ticket signing keys: this node's, and every other node's it knows.",
        subcommands: [List.self, Rotate.self])

    init(_ arguments: ParsedArguments) {}

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(
            name: "list", abstract: "Every signing key this node knows, its own first.")

        let context: Context

        init(_ arguments: ParsedArguments) throws { context = try Context(arguments) }

        func run() throws {
            let (node, _) = try context.signedIn()
            context.output.emit(try node.signingKeys.list()) { keys in
                TextTable.render(
                    ["NODE", "KEY", "MADE", "STATE", "PUBLIC KEY"],
                    keys.map { key in
                        [
                            key.nodeID, String(key.keyID), key.createdAt.description,
                            key.revokedAfter.map { "revoked after \($0)" }
                                ?? (key.signing ? "signing" : key.retiredAt.map { "retired \($0)" } ?? "in force"),
                            key.publicKey,
                        ]
                    })
            }
        }
    }

    struct Rotate: ParsableCommand {
        static let configuration = CommandConfiguration(
            name: "rotate",
            abstract: "Make a new signing key; the old ones keep verifying what they signed (admins).")

        let context: Context

        init(_ arguments: ParsedArguments) throws { context = try Context(arguments) }

        func run() throws {
            let (node, actor) = try context.signedIn()
            context.output.emit(try node.signingKeys.rotate(by: actor)) {
                "Signing key \($0.keyID) of \($0.nodeID) in force; central and the other nodes learn it at the next sync."
            }
        }
    }
}

struct Print: ParsableCommand {
    enum Format: String, CaseIterable, Sendable { case text, svg, pdf, escpos }
    static let order = TypedArgument("ORDER", help: "The order id, or one of its ticket codes.")
    static let format = TypedOption<Format>.choice(
        "--format", "F", help: "text (default), svg, pdf or escpos (for a receipt printer).")
    static let out = TypedOption.text("--out", "FILE", help: "Write there (0600) instead of to stdout.")
    static let configuration = CommandConfiguration(
        name: "print", abstract: "An order's tickets with their QR codes, to print or send.",
        usage: "ORDER [--format text|svg|pdf|escpos] [--out FILE [--force]]", arguments: [order],
        options: [format, out, CommonOptions.force])

    let context: Context
    let reference: String
    let format: Format
    let out: String?
    let replacing: Bool

    init(_ arguments: ParsedArguments) throws {
        context = try Context(arguments)
        reference = try arguments.required(Self.order)
        format = try arguments.value(Self.format) ?? .text
        out = try arguments.value(Self.out)
        replacing = arguments.isSet(CommonOptions.force)
        if replacing, out == nil { throw UsageError("--force goes with --out FILE") }
    }

    func run() throws {
        let (node, _) = try context.signedIn()
        let tickets = try node.orders.printable(reference)
        let file = try out.map { try context.outputFile($0, replacing: replacing) }
        let bytes: [UInt8]
        switch format {
        case .text: bytes = Array(try TicketLayout.text(tickets).utf8)
        case .svg: bytes = Array(try TicketLayout.svg(tickets).utf8)
        case .pdf: bytes = try TicketLayout.pdf(tickets)
        case .escpos: bytes = TicketLayout.escpos(tickets)
        }
        if let file {
            try file.write(bytes)
            context.output.emit(PrintSummary(file: file.path, tickets: tickets.count, format: format.rawValue)) {
                "\($0.tickets) ticket(s) written to \($0.file) (\($0.format))."
            }
        } else {
            Output.writeStandardOutput(bytes: bytes)
        }
    }
}

/// What `print --out` wrote.
struct PrintSummary: Encodable {
    let file: String
    let tickets: Int
    let format: String
}
