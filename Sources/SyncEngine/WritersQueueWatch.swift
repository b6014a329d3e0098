import CLinux
import EdgeStore
import Foundation
import Synchronization
import Ticketing

/// Whether a writer gets through, as the daemon's health probes ask it: one check at a time (a
/// writer's turn and SQLite's write lock, taken and given back, waited for up to
/// ``NodeHealth/writersTurnLimitSeconds``) runs on a thread of its own, with a connection of its
/// own. A probe waits for the check in hand until ``probeWait`` after it began, then answers with
/// what the last finished check found: while a writer keeps the turn, probes are answered at
/// once (DOWN once a check found it kept), and never hold a probe worker for the second a check
/// may wait.
final class WritersQueueWatch: Sendable {
    /// The longest a probe waits for a check, from the check's start, in seconds.
    static let probeWait = 0.1

    private struct State {
        /// The check in hand: left when it finishes, and when it began (monotonic).
        var running: (finished: DispatchGroup, since: DispatchTime)?
        var started = 0
        var finished = 0
        var latest: WritersQueueStatus?
    }

    private let databasePath: String
    private let options: Database.Options
    private let state = Mutex(State())

    init(databasePath: String, options: Database.Options) {
        self.databasePath = databasePath
        var options = options
        options.createIfMissing = false  // a missing database is for the probe to report
        self.options = options
    }

    /// What the check in hand found, if it finished within ``probeWait`` of its start; else what
    /// the last one found when it said no writer got through; else that writers get through
    /// (the check in hand has not yet waited the limit).
    func status() -> WritersQueueStatus {
        let (check, awaited) = state.withLock { state in
            if state.running == nil {
                let finished = DispatchGroup()
                finished.enter()
                state.running = (finished, .now())
                state.started += 1
                launch(leaving: finished)
            }
            return (state.running!, state.started)
        }
        _ = check.finished.wait(timeout: check.since + Self.probeWait)
        return state.withLock { state in
            if state.finished >= awaited, let latest = state.latest { return latest }
            if let latest = state.latest, !latest.answers { return latest }
            return WritersQueueStatus(answers: true, unqueued: state.latest?.unqueued, note: state.latest?.note)
        }
    }

    private func launch(leaving finished: DispatchGroup) {
        let thread = Thread { [self] in
            _ = clinux_name_thread("health.writers")
            // A database that cannot be opened is `db` DOWN from the probe's own reading. The
            // connection is closed after the answer is given (its close may checkpoint).
            let connection = try? Database(path: databasePath, options: options)
            let found =
                connection?.writersQueueStatus(within: NodeHealth.writersTurnLimitSeconds)
                ?? WritersQueueStatus(answers: true)
            defer { withExtendedLifetime(connection) {} }
            state.withLock { state in
                state.latest = found
                state.finished += 1
                state.running = nil
            }
            finished.leave()
        }
        thread.start()
    }
}
