import EdgeStore
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

    /// The lock follows the database file, not its name: renamed while `venue-syncd` holds it,
    /// the database cannot be restored under its new name either (a second owner would open it
    /// with a WAL of its own, beside the daemon's).
    @Test func aDatabaseRenamedUnderTheDaemonIsStillLocked() throws {
        let node = try CLINode()
        let snapshot = node.directory.file("snapshot.sqlite")
        try node.expectSuccess(["backup", snapshot])
        let daemon = try InstanceLock(databasePath: node.database, owner: "venue-syncd")
        let renamed = node.directory.file("renamed.sqlite")
        #expect(rename(node.database, renamed) == 0)
        var environment = node.environment()
        environment["BOXOFFICE_DB"] = renamed
        let restore = try ProcessRunner.run(CLINode.binary, ["restore", snapshot], environment: environment)
        withExtendedLifetime(daemon) {}
        #expect(restore.status == 1 && restore.stderr.contains("venue-syncd is running"), "\(restore.stderr)")
    }

    /// A database with a second name (a hard link) is refused under either name, by every
    /// command and by the lock: SQLite would keep a WAL for each name, and sales made through
    /// one would be lost through the other. Nothing is written; one name again, and it works.
    @Test func aHardLinkedDatabaseIsRefusedUnderEitherName() throws {
        let node = try CLINode()
        let other = node.directory.file("other.sqlite")
        #expect(link(node.database, other) == 0)
        let before = try ProcessRunner.dump(node.database)
        let sale = ["sell", "SHOW", "--category", "GA", "--qty", "1", "--payment", "cash"]
        for name in [other, node.database] {
            var environment = node.environment(session: node.cashierSession)
            environment["BOXOFFICE_DB"] = name
            let refused = try ProcessRunner.run(CLINode.binary, sale, environment: environment)
            #expect(refused.status == 1, "\(refused.stderr)")
            #expect(
                refused.stderr == "Error: database error: \(name) has 2 names (hard links), and SQLite keeps a -wal "
                    + "for each name: what is written through one is lost to the others; keep one name and remove the "
                    + "others (find them with: find / -xdev -samefile \(name))\n", "\(refused.stderr)")
        }
        #expect(
            throws: TicketingError.rejected(
                code: "hard_linked", message: StoreError.hardLinked(other, names: 2).message)
        ) {
            try InstanceLock(databasePath: other, owner: "venue-syncd")
        }
        #expect(!FileManager.default.fileExists(atPath: other + "-wal"))
        #expect(try ProcessRunner.dump(node.database) == before)
        #expect(unlink(other) == 0)
        #expect(try node.cashier(sale).status == 0)
    }
}
