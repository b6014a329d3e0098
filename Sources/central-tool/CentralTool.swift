import AtomicFiles
import CLIKit
import Central
import Foundation
import MySQLClient
import SyncWire

/// `central`: head office's tool over central MySQL.
struct CentralTool: ParsableCommand {
    static let version = "0.1.0"

    /// Options every command accepts.
    static let central = TypedOption.text(
        "--central", "URL", help: "mysql://user@host:port/db[?socket=…&tls=…] (default: $CENTRAL_URL).")
    static let json = FlagOption("--json", help: "Print one JSON document on stdout.")
    static let config = TypedOption.text(
        "--config", "FILE", help: "Central settings, KEY=VALUE (default: $CENTRAL_CONFIG); flags and variables win.")
    static let globalOptions: [any OptionDeclaration] = [central, json, config]

    static let configuration = CommandConfiguration(
        name: "central",
        abstract: "Head office: central MySQL schema, catalog, allocations, nodes.",
        discussion: """
            The password comes from CENTRAL_PASSWORD or the file named by CENTRAL_PASSWORD_FILE, never from the command
            line. Exit codes: 0 ok, 1 refused or failed, 2 usage, 6 not found, 8 central unreachable; reconcile adds
            10 (discrepancies open) and 11 (central read-only, report only).
            """,
        subcommands: [
            Migrate.self, Import.self, Allocate.self, Allocations.self, Events.self, EventCommand.self, Nodes.self,
            Parked.self, MaintenanceCommand.self, Reconcile.self, Smoke.self, Export.self, ReportCommand.self,
            Metrics.self, Keys.self, Door.self,
        ])

    init(_ arguments: ParsedArguments) {}

    static func describe(_ error: Error) -> Failure {
        switch error {
        case let error as CentralError:
            switch error {
            case .invalidInput(let message): Failure(exitCode: 2, code: "invalid_input", message: message)
            case .notFound(let message): Failure(exitCode: 6, code: "not_found", message: message)
            case .rejected(let code, let message): Failure(exitCode: 1, code: code, message: message)
            }
        case let error as MySQLError where error.breaksConnection:
            Failure(exitCode: 8, code: "central_unreachable", message: "central is unreachable: \(error.message)")
        case let error as MySQLError where error.kind == .readOnly:
            Failure(
                exitCode: 1, code: "central_read_only",
                message: "central is read-only (a rollback in progress?): \(error.message)")
        case let error as MySQLError:
            Failure(exitCode: 1, code: "mysql_\(error.code)", message: error.description)
        case let error as AtomicFileError:
            Failure(exitCode: 1, code: "io_error", message: error.message)
        case let error as OutputFileError:
            Failure(
                exitCode: 2,
                code: error.kind == .exists ? "file_exists" : error.kind == .protected ? "central_file" : "not_a_file",
                message: error.message)
        default:
            Failure(exitCode: 1, code: "error", message: "\(error)")
        }
    }
}

/// What every central command derives from its global options and the environment, read once
/// when the command line is checked.
struct CentralContext: Sendable {
    let configuration: MySQLConfiguration
    let output: Output
    /// The settings file, when one is used.
    let configPath: String?
    /// The environment over the config file.
    let settings: [String: String]

    init(_ arguments: ParsedArguments) throws {
        let environment = ProcessInfo.processInfo.environment
        configPath = try arguments.value(CentralTool.config) ?? environment[CentralSetting.config.rawValue]
        settings = try ConfigFile.settings(file: configPath, known: CentralSetting.fileKeys, environment: environment)
        do {
            configuration = try MySQLConfiguration.resolve(
                url: try arguments.value(CentralTool.central), environment: settings)
        } catch let error as MySQLError {
            throw UsageError(error.message)
        }
        output = Output(json: arguments.isSet(CentralTool.json))
    }

    /// Seconds a query of a display that refreshes (`central nodes --watch`, a metrics scrape)
    /// waits for central unless the URL sets `read_timeout`: a hung central is shown as such
    /// within a few refreshes (and within Prometheus' 10 s scrape timeout), not after the
    /// interactive 30 s.
    static let refreshReadTimeout = 5

    /// The configuration with ``refreshReadTimeout`` unless the URL gave its own.
    var refreshingConfiguration: MySQLConfiguration {
        var refreshing = configuration
        if !refreshing.readTimeoutGiven { refreshing.readTimeout = Self.refreshReadTimeout }
        return refreshing
    }

    /// A connection to central; `requireCurrentSchema` also checks the schema is this build's.
    /// `batchReadTimeout`: seconds a query may run before the client gives up, for batch work
    /// (reconciliation scans every sale) that the interactive default (30 s) would cut short;
    /// a longer `read_timeout` in the URL wins. `refreshing`: for a display that refreshes
    /// (``refreshReadTimeout``).
    func connect(
        requireCurrentSchema: Bool = true, batchReadTimeout: Int? = nil, refreshing: Bool = false
    ) throws -> MySQLConnection {
        var configuration = refreshing ? refreshingConfiguration : configuration
        if let batchReadTimeout { configuration.readTimeout = max(configuration.readTimeout, batchReadTimeout) }
        let connection = try MySQLConnection(configuration)
        if configuration.members.count > 1 {
            // Which member of the cluster this command works on, for the operator and the job's log.
            var line = "central: on member \(connection.memberState)"
            if !connection.skippedMembers.isEmpty {
                line += "; passed over " + connection.skippedMembers.map(\.description).joined(separator: "; ")
            }
            Output.writeStandardError(line + "\n")
        }
        if requireCurrentSchema { try CentralMigrator(connection: connection).requireCurrent() }
        return connection
    }

    var now: Timestamp { SystemWallClock().now() }

    /// The file at `path` an operator named for the command to write (``OutputFile``), never the
    /// settings file, a password file or one of `others` (a key file the command reads):
    /// `replacing` is the command's `--force`.
    func outputFile(_ path: String, replacing: Bool, others: [String] = []) throws -> OutputFile {
        let files =
            [
                configPath, settings[CentralSetting.centralPasswordFile.rawValue],
                settings[CentralSetting.appPasswordFile.rawValue],
            ].compactMap { $0 } + others
        do {
            return try OutputFile(
                path, replacing: replacing,
                protecting: ProtectedFiles("one of central's settings, password or key files", files: files))
        } catch let error as OutputFileError where error.kind == .exists {
            throw OutputFileError(
                path: path, kind: .exists, message: "\(path) already exists; give --force to replace it")
        }
    }
}
