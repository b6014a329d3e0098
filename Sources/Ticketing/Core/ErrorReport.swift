import AtomicFiles

/// The one map from what went wrong to what a caller is told: an exit code for the command line,
/// a stable snake_case code and one sentence. `boxoffice` exits with it and prints it; the API
/// answers it as the error object with the HTTP status its exit code calls for.
public struct ErrorReport: Error, Sendable, Equatable, Encodable {
    public let exitCode: Int32
    public let code: String
    public let message: String
    /// Whole seconds before trying again is any use, when known (an API answer's `Retry-After`).
    public var retryAfterSeconds: Int?

    public init(exitCode: Int32, code: String, message: String, retryAfterSeconds: Int? = nil) {
        self.exitCode = exitCode
        self.code = code
        self.message = message
        self.retryAfterSeconds = retryAfterSeconds
    }

    enum CodingKeys: String, CodingKey {
        case exitCode, code, message
    }

    /// The report of `error`.
    public static func of(_ error: any Error) -> ErrorReport {
        switch error {
        case let report as ErrorReport: report
        case let error as TicketingError:
            switch error {
            case .invalidInput(let message): ErrorReport(exitCode: 2, code: "invalid_input", message: message)
            case .soldOut(let message): ErrorReport(exitCode: 3, code: "sold_out", message: message)
            case .conflict(let message): ErrorReport(exitCode: 4, code: "conflict", message: message)
            case .notLoggedIn(let message): ErrorReport(exitCode: 5, code: "not_logged_in", message: message)
            case .notPermitted(let message): ErrorReport(exitCode: 5, code: "not_permitted", message: message)
            case .notFound(let message): ErrorReport(exitCode: 6, code: "not_found", message: message)
            case .rejected(let code, let message): ErrorReport(exitCode: 1, code: code, message: message)
            case .maintenance(let message): ErrorReport(exitCode: 7, code: "maintenance", message: message)
            }
        case let refusal as LoginRefusal:
            ErrorReport(
                exitCode: 1, code: refusal.reason.rawValue, message: refusal.message,
                retryAfterSeconds: refusal.retryAfterSeconds)
        case let error as AtomicFileError: ErrorReport(exitCode: 1, code: "io_error", message: error.message)
        case let error as OutputFileError:
            switch error.kind {
            case .exists: ErrorReport(exitCode: 2, code: "file_exists", message: error.message)
            case .protected: ErrorReport(exitCode: 2, code: "node_file", message: error.message)
            case .notAFile: ErrorReport(exitCode: 2, code: "not_a_file", message: error.message)
            }
        default:
            switch StorageProblem(error) {
            case .busy:
                ErrorReport(
                    exitCode: 4, code: "busy", message: "the node database stayed locked by other terminals; try again")
            case .detached(let message):
                ErrorReport(
                    exitCode: 1, code: "store_detached",
                    message: "the node database's files were deleted or replaced while in use (\(message)); "
                        + "try again")
            case .failed(let message):
                ErrorReport(exitCode: 1, code: "database_error", message: "database error: \(message)")
            case nil: ErrorReport(exitCode: 1, code: "error", message: "\(error)")
            }
        }
    }
}
