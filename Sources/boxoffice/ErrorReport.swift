import AtomicFiles
import CLIKit
import Ticketing

/// The one map from errors to exit codes and stable codes.
enum ErrorReport {
    static func describe(_ error: Error) -> Failure {
        switch error {
        case let error as TicketingError:
            switch error {
            case .invalidInput(let message): Failure(exitCode: 2, code: "invalid_input", message: message)
            case .soldOut(let message): Failure(exitCode: 3, code: "sold_out", message: message)
            case .conflict(let message): Failure(exitCode: 4, code: "conflict", message: message)
            case .notLoggedIn(let message): Failure(exitCode: 5, code: "not_logged_in", message: message)
            case .notPermitted(let message): Failure(exitCode: 5, code: "not_permitted", message: message)
            case .notFound(let message): Failure(exitCode: 6, code: "not_found", message: message)
            case .rejected(let code, let message): Failure(exitCode: 1, code: code, message: message)
            case .maintenance(let message): Failure(exitCode: 7, code: "maintenance", message: message)
            }
        case let error as AtomicFileError: Failure(exitCode: 1, code: "io_error", message: error.message)
        default:
            switch StorageProblem(error) {
            case .busy:
                Failure(
                    exitCode: 4, code: "busy", message: "the node database stayed locked by other terminals; try again")
            case .failed(let message):
                Failure(exitCode: 1, code: "database_error", message: "database error: \(message)")
            case nil: Failure(exitCode: 1, code: "error", message: "\(error)")
            }
        }
    }
}
