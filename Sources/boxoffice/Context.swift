import AtomicFiles
import CLIKit
import FoundationEssentials
import SyncWire
import Ticketing

#if canImport(Glibc)
    import Glibc
#endif

/// What every command derives from its global options and the environment, read once when the
/// command line is checked: where the database is and how to open it, how to print, and where the
/// session is kept.
struct Context: Sendable {
    let databasePath: String
    let options: NodeOptions
    let output: Output
    let sessionPath: String
    /// The settings file, when one is used.
    let configPath: String?
    /// The environment over the config file.
    let settings: [String: String]

    init(_ arguments: ParsedArguments) throws {
        let environment = ProcessInfo.processInfo.environment
        configPath = try arguments.value(BoxOffice.config) ?? environment[NodeSetting.config.rawValue]
        settings = try ConfigFile.settings(file: configPath, known: NodeSetting.fileKeys, environment: environment)
        databasePath = NodeEnvironment.databasePath(
            given: try arguments.value(BoxOffice.database), environment: settings)
        do {
            options = try NodeEnvironment.options(environment: settings)
        } catch let error as TicketingError {
            throw UsageError(error.message)
        }
        output = Output(json: arguments.isSet(BoxOffice.json))
        sessionPath = NodeEnvironment.sessionPath(environment: settings)
    }

    /// The file at `path` an operator named for the command to write, checked against the node's
    /// own files (the database and everything beside it, the session, settings and central
    /// password files): `replacing` is the command's `--force`.
    func outputFile(_ path: String, replacing: Bool) throws -> OutputFile {
        do {
            return try OutputFile(
                path, replacing: replacing, protecting: NodeFiles.protected(database: databasePath, others: ownFiles))
        } catch let error as OutputFileError where error.kind == .exists {
            throw ErrorReport(
                exitCode: 2, code: "file_exists", message: "\(path) already exists; give --force to replace it")
        }
    }

    /// The files besides the database's that no output takes the place of: the session, settings
    /// and central password files.
    var ownFiles: [String] {
        [sessionPath] + [configPath, settings[NodeSetting.centralPasswordFile.rawValue]].compactMap { $0 }
    }

    /// The node, opened and checked.
    func node() throws -> VenueNode { try VenueNode.open(path: databasePath, options: options) }

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
        if stat(sessionPath, &info) == 0, SecretFile.isOpenToOthers(info.st_mode) {
            try? node?.users.logout(token: session.token)
            SessionFile.remove(at: sessionPath)
            throw TicketingError.notLoggedIn(
                "the session file \(sessionPath) could be read by other users (mode "
                    + String(info.st_mode & 0o777, radix: 8) + "): that session is ended; log in again")
        }
        return session
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

/// The login session on disk, mode 0600: `key=value` lines (`token`, `staff`, `role`, `node_id`,
/// `expires_at`). Read by hand rather than with `JSONDecoder`, whose first use cost every command
/// about a seventh of its instructions; files earlier versions wrote as JSON are still read.
enum SessionFile {
    static func read(at path: String) throws -> LoginSession? {
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        let text = String(decoding: data, as: UTF8.self)
        let session =
            text.hasPrefix("{") ? try? JSONText.decoder().decode(LoginSession.self, from: data) : parse(text)
        guard let session else {
            throw TicketingError.notLoggedIn("the session file \(path) is damaged; run 'boxoffice login NAME'")
        }
        return session
    }

    static func write(_ session: LoginSession, at path: String) throws {
        let folder = AtomicFile.folder(of: path)
        if !folder.isEmpty { try AtomicFile.makeDirectory(folder) }
        let text = [
            "token=\(session.token)", "staff=\(session.staff)", "role=\(session.role.rawValue)",
            "node_id=\(session.nodeID)", "expires_at=\(session.expiresAt)",
        ].map { $0 + "\n" }.joined()
        try AtomicFile.write(Array(text.utf8), to: path, mode: 0o600)
    }

    /// The session in `text`, or nil when a line or a field is missing or malformed.
    private static func parse(_ text: String) -> LoginSession? {
        // String keys: a Substring key costs the process a scan of the executable's protocol
        // conformances the first time one is hashed.
        var fields = [String: Substring]()
        for line in text.split(separator: "\n") {
            guard let equals = line.firstIndex(of: "=") else { return nil }
            let key = String(line[..<equals])
            guard fields[key] == nil else { return nil }
            fields[key] = line[line.index(after: equals)...]
        }
        guard let token = fields["token"], !token.isEmpty, let staff = fields["staff"],
            let role = fields["role"].flatMap({ Role(rawValue: String($0)) }), let nodeID = fields["node_id"],
            let expiresAt = fields["expires_at"].flatMap({ Timestamp(iso8601: String($0)) })
        else { return nil }
        return LoginSession(
            token: String(token), staff: String(staff), role: role, nodeID: String(nodeID), expiresAt: expiresAt)
    }

    static func remove(at path: String) { try? FileManager.default.removeItem(atPath: path) }
}

/// Declarations several commands share, and the requests built from them.
enum CommonOptions {
    static let event = TypedArgument("EVENT", help: "The event id.")
    static let force = FlagOption(
        "--force", help: "Replace FILE if it exists (a plain file; never one of the node's own files).")
    static let category = TypedOption.text("--category", "C", required: true, help: "Price category code.")
    static let quantity = TypedOption.integer(
        "--qty", "N", in: 1...1000, help: "Number of tickets (GA, or best available adjacent seats).")
    static let seats = ListOption("--seat", "SEAT", help: "Seats by label, e.g. STALLS-A-12 (seated categories).")
    static let selection: [any OptionDeclaration] = [category, quantity, seats]

    static let method = TypedOption<PaymentMethod>.choice(
        "--payment", "METHOD", required: true,
        help: "cash, card or comp (comp: supervisors only).")
    static let tendered = TypedOption.integer(
        "--tendered", "MINOR", in: 0...100_000_000,
        help: "Cash handed over, in minor units (default: the exact total).")
    static let reference = TypedOption.text("--reference", "R", help: "Card terminal reference (card payments).")
    static let amount = TypedOption.integer(
        "--amount", "MINOR", in: 0...100_000_000, help: "Expected total in minor units; refused if it differs.")
    static let customer = TypedOption.text("--customer", "EMAIL", help: "Customer email (receives the confirmation).")
    static let customerName = TypedOption.text("--customer-name", "NAME", help: "Customer name.")
    static let customerPhone = TypedOption.text("--customer-phone", "PHONE", help: "Customer phone.")
    static let idempotencyKey = TypedOption.text(
        "--idempotency-key", "K", help: "Repeat-safe key: the same key returns the same order, charged once.")
    static let payment: [any OptionDeclaration] = [
        method, tendered, reference, amount, customer, customerName, customerPhone, idempotencyKey,
    ]

    static func selection(_ arguments: ParsedArguments) throws -> SeatSelection {
        let quantity = try arguments.value(Self.quantity)
        let seats = arguments.values(Self.seats)
        switch (quantity, seats.isEmpty) {
        case (let quantity?, true): return .quantity(Int(quantity))
        case (nil, false): return .seats(seats)
        case (nil, true): throw UsageError("give --qty N or --seat SEAT...")
        case (.some, false): throw UsageError("give --qty N or --seat SEAT..., not both")
        }
    }

    static func payment(_ arguments: ParsedArguments) throws -> PaymentRequest {
        PaymentRequest(
            method: try arguments.required(method), tenderedMinor: try arguments.value(tendered),
            reference: try arguments.value(reference), amountMinor: try arguments.value(amount))
    }

    static func customer(_ arguments: ParsedArguments) throws -> CustomerDetails? {
        guard let email = try arguments.value(customer) else {
            if try arguments.value(customerName) != nil || arguments.value(customerPhone) != nil {
                throw UsageError("--customer-name and --customer-phone need --customer EMAIL")
            }
            return nil
        }
        return CustomerDetails(
            email: email, name: try arguments.value(customerName), phone: try arguments.value(customerPhone))
    }
}
