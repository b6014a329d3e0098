import CLIKit
import Ticketing

extension Failure {
    /// What `boxoffice` prints and exits with for `error` (``Ticketing/ErrorReport``, the one map).
    static func describing(_ error: any Error) -> Failure {
        let report = ErrorReport.of(error)
        return Failure(exitCode: report.exitCode, code: report.code, message: report.message)
    }
}
