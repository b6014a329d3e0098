/// Every setting the node's tools read from the environment or the node's config file, spelled
/// once: a key read through this type cannot be misspelt, and the config file accepts exactly
/// ``fileKeys``.
public enum NodeSetting: String, CaseIterable, Sendable {
    case database = "BOXOFFICE_DB"
    case synchronous = "BOXOFFICE_SYNCHRONOUS"
    case sessionFile = "BOXOFFICE_SESSION_FILE"
    case spool = "BOXOFFICE_SPOOL"
    /// The config file itself (the environment only).
    case config = "BOXOFFICE_CONFIG"
    case centralURL = "CENTRAL_URL"
    case centralPasswordFile = "CENTRAL_PASSWORD_FILE"
    case interval = "SYNCD_INTERVAL"
    case batch = "SYNCD_BATCH"
    case maxBackoff = "SYNCD_MAX_BACKOFF"
    case listen = "SYNCD_LISTEN"
    /// The earlier name of ``listen``.
    case http = "SYNCD_HTTP"
    case allowPlainHTTP = "SYNCD_ALLOW_PLAIN_HTTP"
    case healthDetails = "SYNCD_HEALTH_DETAILS"
    case trustedProxies = "SYNCD_TRUSTED_PROXIES"
    case stallTimeout = "SYNCD_STALL_TIMEOUT"
    case logFormat = "SYNCD_LOG_FORMAT"
    case logLevel = "SYNCD_LOG_LEVEL"
    case mailTransport = "MAIL_TRANSPORT"
    case minimumFreeMB = "HEALTH_MIN_FREE_MB"

    /// The keys a node config file (`--config`, `BOXOFFICE_CONFIG`) may set, shared by `boxoffice`
    /// and `venue-syncd`: every setting but the file's own name.
    public static var fileKeys: [String] { allCases.filter { $0 != .config }.map(\.rawValue) }
}

extension Dictionary where Key == String, Value == String {
    /// The value of `setting` in these settings (the environment over the config file); nil when
    /// unset or empty.
    public subscript(setting setting: NodeSetting) -> String? {
        self[setting.rawValue].flatMap { $0.isEmpty ? nil : $0 }
    }
}
