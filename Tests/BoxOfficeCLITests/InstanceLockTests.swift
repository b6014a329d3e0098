import Foundation
import TestSupport
import Testing
import Ticketing

/// The lock `venue-syncd` and `boxoffice restore` hold on a node: a second taker is refused and
/// closes what it opened once. (It was closed twice, by the refusal and again by the lock's
/// `deinit`, which Swift runs for an instance whose `init` throws once every property is set: in
/// a process with other threads the second close could shut a file another thread had just
/// opened under the same number, a test's SQLite database among them.)
@Suite struct InstanceLockTests {
    @Test func aRestoreRefusedWhileTheDaemonRunsClosesItsLockOnce() throws {
        let node = try CLINode()
        let snapshot = node.directory.file("snapshot.sqlite")
        try FileManager.default.copyItem(atPath: node.database, toPath: snapshot)
        let daemon = try InstanceLock(databasePath: node.database, owner: "venue-syncd")
        let trace = try SyscallTrace(
            CLINode.binary, ["restore", snapshot], tracing: "close", environment: node.environment(),
            in: node.directory.path)
        withExtendedLifetime(daemon) {}
        #expect(trace.result.status != 0)
        #expect(trace.result.stderr.contains("venue-syncd is running"), "\(trace.result.stderr)")
        let closedTwice = trace.calls.filter { $0.contains("close(") && $0.contains("EBADF") }
        #expect(closedTwice.isEmpty, "\(closedTwice)")
    }
}
