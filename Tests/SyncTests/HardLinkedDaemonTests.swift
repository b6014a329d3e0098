import Foundation
import TestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// `venue-syncd` on a second name (a hard link) of a node database: it would keep a WAL of its
/// own beside the real daemon's, and sales made through both names were lost. It is refused
/// before it connects anywhere or opens the database.
@Suite struct HardLinkedDaemonTests {
    @Test func theDaemonRefusesAHardLinkedDatabase() throws {
        let directory = TemporaryDirectory()
        let database = directory.file("venue.sqlite")
        let environment = ["BOXOFFICE_DB": database, "HOME": directory.path]
        let setUp = try ProcessRunner.run(
            ProcessRunner.product("boxoffice"), ["init", "--node", "BOX-1", "--admin", "root"],
            stdin: "root-password\n",
            environment: environment)
        #expect(setUp.status == 0, "\(setUp.stderr)")
        let other = directory.file("other.sqlite")
        #expect(link(database, other) == 0)
        let daemon = try ProcessRunner.run(
            ProcessRunner.product("venue-syncd"),
            ["--db", other, "--central", "mysql://app@127.0.0.1:9/central", "--once"],
            environment: ["HOME": directory.path, "CENTRAL_PASSWORD": "unused"])
        #expect(daemon.status == 1, "\(daemon.stderr)")
        #expect(daemon.stderr.contains("\(other) has 2 names (hard links)"), "\(daemon.stderr)")
        #expect(!FileManager.default.fileExists(atPath: other + "-wal"))
        #expect(!FileManager.default.fileExists(atPath: other + "-writer"))
    }
}
