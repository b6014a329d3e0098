import CLIKit

/// The box-office command: the cashier's tool at the counter.
struct BoxOffice: ParsableCommand {
    static let version = "0.1.0"

    /// Options every command accepts.
    static let database = TypedOption.text(
        "--db", "PATH", help: "Node database (default: $BOXOFFICE_DB, else ./venue.sqlite).")
    static let json = FlagOption("--json", help: "Print one JSON document on stdout.")
    static let config = TypedOption.text(
        "--config", "FILE", help: "Node settings, KEY=VALUE (default: $BOXOFFICE_CONFIG); flags and variables win.")
    static let globalOptions: [any OptionDeclaration] = [database, json, config]

    static let configuration = CommandConfiguration(
        name: "boxoffice",
        abstract: "Sell, hold, refund and check in tickets at a venue node.",
        discussion: """
            Environment (or the --config file): BOXOFFICE_DB (database path), BOXOFFICE_SESSION_FILE (login
            session, default ~/.local/state/boxoffice/session), BOXOFFICE_SYNCHRONOUS (full or normal),
            BOXOFFICE_SPOOL (notification spool folder). Exit codes: 0 ok, 1 error, 2 usage, 3 sold out, 4 conflict,
            5 not logged in or not permitted, 6 not found, 7 in maintenance.
            """,
        subcommands: [
            Init.self, Import.self, Login.self, Logout.self, Events.self, Availability.self, Seats.self, Sell.self,
            Hold.self, Confirm.self, Release.self, Refund.self, OrderCommand.self, Lookup.self, CheckIn.self,
            ScanListCommand.self, Print.self, Keys.self,
            EventCommand.self, UsersCommand.self, Status.self, Health.self, Smoke.self, DrawerCommand.self,
            ReportCommand.self, SyncCommand.self,
            Notifications.self,
            MaintenanceCommand.self, Migrate.self,
            Backup.self, Restore.self,
        ])

    init(_ arguments: ParsedArguments) {}
}
