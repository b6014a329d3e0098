import CLIKit
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Starting `venue-syncd` again in the same process (same pid, arguments and environment):
/// every descriptor it had is closed (all are close-on-exec), so every SQLite connection, its
/// shared memory and its locks go with it, which no reopening inside the process can promise.
enum Reexecution {
    /// Replaces this process with a fresh `venue-syncd`; returns only when that fails, with the
    /// error to report.
    static func restart() -> Failure {
        signal(SIGTERM, SIG_DFL)
        signal(SIGINT, SIG_DFL)
        let arguments = CommandLine.arguments.map { strdup($0) } + [nil]
        defer { for argument in arguments { free(argument) } }
        execv("/proc/self/exe", arguments)
        return Failure(
            exitCode: 1, code: "restart_failed",
            message:
                "the node database's files were replaced and venue-syncd could not start again: \(String(cString: strerror(errno)))"
        )
    }
}
