import AtomicFiles
import EdgeStore
import FoundationEssentials

/// How a node's database is opened: the durability of its commits.
public struct NodeOptions: Sendable, Equatable {
    /// When a commit reaches the disk.
    public enum Durability: String, Sendable, CaseIterable {
        /// Every commit is flushed: a sale the cashier saw confirmed survives a power cut.
        case full
        /// Flushed at checkpoints only: faster; the last commits may roll back on power loss.
        case normal
    }

    public var durability: Durability

    /// Full durability unless told otherwise.
    public init(durability: Durability = .full) { self.durability = durability }

    /// The store's options for these.
    public var database: Database.Options {
        var options = Database.Options()
        options.synchronous = durability == .full ? .full : .normal
        return options
    }
}

/// The environment variables the node's tools read, each resolved in one place, the same way
/// for `boxoffice` and `venue-syncd`. `environment` is the process environment over the node's
/// config file (`ConfigFile.settings`), so a flag beats the variable, which beats the file.
public enum NodeEnvironment {
    /// The node database: the path given on the command line, else `BOXOFFICE_DB`, else `./venue.sqlite`.
    public static func databasePath(given: String?, environment: [String: String] = ProcessInfo.processInfo.environment)
        -> String
    {
        given ?? environment[setting: .database] ?? "./venue.sqlite"
    }

    /// `BOXOFFICE_SYNCHRONOUS`: `full` (the default) or `normal`; anything else is refused.
    public static func options(environment: [String: String] = ProcessInfo.processInfo.environment) throws
        -> NodeOptions
    {
        guard let value = environment[setting: .synchronous] else { return NodeOptions() }
        guard let durability = NodeOptions.Durability(rawValue: value.lowercased()) else {
            throw TicketingError.invalidInput(
                "\(NodeSetting.synchronous.rawValue) must be full or normal, not '\(value.prefix(20))'")
        }
        return NodeOptions(durability: durability)
    }

    /// The login session file: `BOXOFFICE_SESSION_FILE`, else `$XDG_STATE_HOME/boxoffice/session`,
    /// else `~/.local/state/boxoffice/session`.
    public static func sessionPath(environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        if let path = environment[setting: .sessionFile] { return path }
        let state =
            environment["XDG_STATE_HOME"].flatMap { $0.isEmpty ? nil : $0 }
            ?? (environment["HOME"] ?? FileManager.default.homeDirectoryForCurrentUser.path) + "/.local/state"
        return state + "/boxoffice/session"
    }

    /// Where customer emails are spooled: the folder given, else `BOXOFFICE_SPOOL`, else `spool/`
    /// next to the database.
    public static func spool(
        given: String?, databasePath: String,
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) -> String {
        if let given { return given }
        if let spool = environment[setting: .spool] { return spool }
        let folder = AtomicFile.folder(of: databasePath)
        return folder.isEmpty ? "spool" : folder + "/spool"
    }
}

/// An error of the node's store, as the executables report it (their one error map), so that
/// they need not know the store.
public enum StorageProblem: Sendable, Equatable {
    /// The database stayed locked by other terminals longer than the busy timeout.
    case busy
    /// A write refused, nothing written, because the database's files were deleted or replaced
    /// under the connection; the message names them.
    case detached(String)
    /// Any other database error, with its message.
    case failed(String)

    /// The problem `error` is, when it comes from the store.
    public init?(_ error: Error) {
        guard let error = error as? StoreError else { return nil }
        self = error.isBusy ? .busy : error.isDetached ? .detached(error.message) : .failed(error.message)
    }
}
