import EventLog
import Foundation
import HTTPServer

/// Starting the daemon again once the database's files were found deleted or replaced under it:
/// logged once as an error, the loops told to stop, and the listener stopped at once from a
/// thread of its own, whichever thread found it and whatever the sync thread is doing (a push
/// stuck on a frozen network), so that no till is told a sale was made meanwhile.
final class Restarting: Sendable {
    let stopSignal: StopSignal
    let server: HTTPServer?
    let logger: LineLogger
    let database: String
    /// Signalled once the listener stopped after a restart was asked for.
    private let listenerStopped = DispatchSemaphore(value: 0)

    init(stopSignal: StopSignal, server: HTTPServer?, logger: LineLogger, database: String) {
        self.stopSignal = stopSignal
        self.server = server
        self.logger = logger
        self.database = database
    }

    /// Asks for the restart because of `files` (each described for an operator); the first
    /// request counts, the others are already served.
    func request(_ files: [String]) {
        let reason = files.joined(separator: "; ")
        guard stopSignal.restart(because: reason) else { return }
        logger.log(.error, "store.detached", ["files": reason, "database": database, "action": "restarting"])
        let thread = Thread { [self] in
            server?.stop()
            listenerStopped.signal()
        }
        thread.name = "restart"
        thread.start()
    }

    /// Waits for the listener to have stopped, when a restart was asked for.
    func waitForListener() {
        guard stopSignal.restartReason != nil else { return }
        listenerStopped.wait()
    }
}
