/// Every setting `central` reads from the environment or its config file, spelled once: a key
/// read through this type cannot be misspelt, and the config file accepts exactly ``fileKeys``.
enum CentralSetting: String, CaseIterable, Sendable {
    case centralURL = "CENTRAL_URL"
    case centralPasswordFile = "CENTRAL_PASSWORD_FILE"
    /// The config file itself (the environment only).
    case config = "CENTRAL_CONFIG"
    case refundDelay = "RECONCILE_REFUND_DELAY"
    case silence = "RECONCILE_SILENCE"
    case parkedAge = "RECONCILE_PARKED_AGE"
    case clockSkew = "RECONCILE_CLOCK_SKEW"
    /// The nodes' own account, for `central smoke`'s check of their writes.
    case appURL = "CENTRAL_APP_URL"
    case appPasswordFile = "CENTRAL_APP_PASSWORD_FILE"

    /// The keys a central config file may set: every setting but the file's own name.
    static var fileKeys: [String] { allCases.filter { $0 != .config }.map(\.rawValue) }
}
