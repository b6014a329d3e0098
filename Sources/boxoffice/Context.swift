import CLIKit
import EdgeStore
import Foundation
import SyncWire
import Ticketing

/// What every command derives from its arguments and environment: where the database is, how
/// to print, and who is logged in.
struct Context {
    let arguments: ParsedArguments
    private let environment = ProcessInfo.processInfo.environment

    init(_ arguments: ParsedArguments) { self.arguments = arguments }

    var output: Output { Output(json: arguments.flag("--json")) }

    var databasePath: String { arguments.value("--db") ?? environment["BOXOFFICE_DB"] ?? "./venue.sqlite" }

    /// Connection options: FULL durability unless BOXOFFICE_SYNCHRONOUS=normal.
    func databaseOptions() throws -> Database.Options {
        var options = Database.Options()
        if let value = environment["BOXOFFICE_SYNCHRONOUS"] {
            guard let synchronous = Database.Options.Synchronous(rawValue: value.uppercased()) else {
                throw UsageError("BOXOFFICE_SYNCHRONOUS must be full or normal, not '\(value.prefix(20))'")
            }
            options.synchronous = synchronous
        }
        return options
    }

    /// The node, opened and checked.
    func node() throws -> VenueNode { try VenueNode.open(path: databasePath, options: databaseOptions()) }

    /// The node and the operator logged in on it.
    func signedIn() throws -> (VenueNode, Operator) {
        let node = try node()
        return (node, try node.users.authenticate(token: try session(on: node).token))
    }

    /// The session in the session file. A file other users could read may have given the token
    /// away: that session is ended (on `node`, when given), the file removed, and the command refused.
    func session(on node: VenueNode?) throws -> LoginSession {
        guard let session = try SessionFile.read(at: sessionPath) else {
            throw TicketingError.notLoggedIn("not logged in; run 'boxoffice login NAME'")
        }
        var info = stat()
        if stat(sessionPath, &info) == 0, info.st_mode & 0o077 != 0 {
            try? node?.users.logout(token: session.token)
            SessionFile.remove(at: sessionPath)
            throw TicketingError.notLoggedIn("the session file \(sessionPath) could be read by other users (mode "
                                             + String(info.st_mode & 0o777, radix: 8) + "): that session is ended; log in again")
        }
        return session
    }

    /// `$BOXOFFICE_SESSION_FILE`, else `$XDG_STATE_HOME/boxoffice/session`, else `~/.local/state/boxoffice/session`.
    var sessionPath: String {
        if let path = environment["BOXOFFICE_SESSION_FILE"], !path.isEmpty { return path }
        let state = environment["XDG_STATE_HOME"].flatMap { $0.isEmpty ? nil : $0 }
            ?? (environment["HOME"] ?? NSHomeDirectory()) + "/.local/state"
        return state + "/boxoffice/session"
    }

    /// A password from stdin (no echo on a terminal); on a terminal, `confirm` asks twice.
    func password(prompt: String, confirm: Bool = false) throws -> String {
        guard let first = Terminal.readSecret(prompt: prompt), !first.isEmpty else {
            throw UsageError("no password on standard input")
        }
        if confirm, isatty(STDIN_FILENO) == 1 {
            guard Terminal.readSecret(prompt: "Repeat: ") == first else { throw UsageError("the passwords differ") }
        }
        return first
    }
}

/// The login session on disk: the token and who it belongs to, mode 0600.
enum SessionFile {
    static func read(at path: String) throws -> LoginSession? {
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        guard let session = try? JSONText.decoder().decode(LoginSession.self, from: data) else {
            throw TicketingError.notLoggedIn("the session file \(path) is damaged; run 'boxoffice login NAME'")
        }
        return session
    }

    static func write(_ session: LoginSession, at path: String) throws {
        if let folder = path.range(of: "/", options: .backwards).map({ String(path[..<$0.lowerBound]) }), !folder.isEmpty {
            try AtomicFile.makeDirectory(folder)
        }
        try AtomicFile.write(Array(try JSONText.encode(session).utf8), to: path, mode: 0o600)
    }

    static func remove(at path: String) { try? FileManager.default.removeItem(atPath: path) }
}

/// Option groups several commands share.
enum CommonOptions {
    static let selection: [Option] = [
        .value("--category", "C", required: true, help: "Price category code."),
        .value("--qty", "N", help: "Number of tickets (GA, or best available adjacent seats)."),
        .values("--seat", "SEAT", help: "Seats by label, e.g. STALLS-A-12 (seated categories)."),
    ]

    static let payment: [Option] = [
        .value("--payment", "METHOD", required: true, help: "cash, card or comp (comp: supervisors only)."),
        .value("--tendered", "MINOR", help: "Cash handed over, in minor units (default: the exact total)."),
        .value("--reference", "R", help: "Card terminal reference (card payments)."),
        .value("--amount", "MINOR", help: "Expected total in minor units; refused if it differs."),
        .value("--customer", "EMAIL", help: "Customer email (receives the confirmation)."),
        .value("--customer-name", "NAME", help: "Customer name."),
        .value("--customer-phone", "PHONE", help: "Customer phone."),
        .value("--idempotency-key", "K", help: "Repeat-safe key: the same key returns the same order, charged once."),
    ]

    static func selection(_ arguments: ParsedArguments) throws -> SeatSelection {
        let quantity = try arguments.integer("--qty", in: 1...1000)
        let seats = arguments.values("--seat")
        switch (quantity, seats.isEmpty) {
        case (let quantity?, true): return .quantity(Int(quantity))
        case (nil, false): return .seats(seats)
        case (nil, true): throw UsageError("give --qty N or --seat SEAT...")
        case (.some, false): throw UsageError("give --qty N or --seat SEAT..., not both")
        }
    }

    static func payment(_ arguments: ParsedArguments) throws -> PaymentRequest {
        let methods = PaymentMethod.allCases.map(\.rawValue)
        guard let method = try arguments.choice("--payment", in: methods).flatMap(PaymentMethod.init(rawValue:)) else {
            throw UsageError("missing --payment")
        }
        return PaymentRequest(method: method, tenderedMinor: try arguments.integer("--tendered", in: 0...100_000_000),
                              reference: arguments.value("--reference"),
                              amountMinor: try arguments.integer("--amount", in: 0...100_000_000))
    }

    static func customer(_ arguments: ParsedArguments) throws -> CustomerDetails? {
        guard let email = arguments.value("--customer") else {
            if arguments.value("--customer-name") != nil || arguments.value("--customer-phone") != nil {
                throw UsageError("--customer-name and --customer-phone need --customer EMAIL")
            }
            return nil
        }
        return CustomerDetails(email: email, name: arguments.value("--customer-name"), phone: arguments.value("--customer-phone"))
    }
}
