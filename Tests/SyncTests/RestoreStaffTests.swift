import Foundation
import TestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// A cashier added after the snapshot, through a restore and the take-back from central: with the
/// replaced database readable she keeps her account and her drawer; with it unreadable central
/// knows her by name alone, and an admin enables her and gives her a password.
@Suite(.serialized) struct RestoreStaffTests {
    /// `boxoffice` on `path` with the session file `session`.
    private func boxoffice(
        _ world: SyncWorld, path: String, session: String, _ arguments: [String], stdin: String? = nil
    ) throws -> ProcessResult {
        try ProcessRunner.run(
            ProcessRunner.product("boxoffice"), arguments, stdin: stdin,
            environment: ["BOXOFFICE_DB": path, "BOXOFFICE_SESSION_FILE": session, "HOME": world.directory.path])
    }

    private func syncOnce(_ world: SyncWorld, _ path: String, _ extra: [String] = []) throws -> ProcessResult {
        try SyncWorld.run(
            "venue-syncd", ["--db", path, "--once"] + extra, clock: nil, environment: world.environment)
    }

    /// Her sales pushed to central come back by the take-back, the one central never had is
    /// carried over, and her drawer, carried over from the replaced database, counts them all.
    @Test func aCashierAddedAfterTheSnapshotKeepsHerAccountAndDrawer() throws {
        let world = try SyncWorld()
        let path = try world.makeNodeFile("NODE-A")
        #expect(try syncOnce(world, path).status == 0)
        let snapshot = world.directory.file("old.sqlite")
        #expect(try world.boxoffice(path: path, ["backup", snapshot]).status == 0)
        let added = try world.boxoffice(
            path: path, ["users", "add", "zoe", "--role", "cashier"], stdin: "zoe-password\n")
        #expect(added.status == 0, "\(added.stderr)")
        let zoe = world.directory.file("zoe.session")
        #expect(try boxoffice(world, path: path, session: zoe, ["login", "zoe"], stdin: "zoe-password\n").status == 0)
        #expect(try boxoffice(world, path: path, session: zoe, ["drawer", "open", "--float", "10000"]).status == 0)
        let sale = ["sell", "BIG", "--category", "FLOOR", "--payment", "cash", "--qty"]
        #expect(try boxoffice(world, path: path, session: zoe, sale + ["2"]).status == 0)
        #expect(try syncOnce(world, path).status == 0)
        #expect(try syncOnce(world, path, ["--central", "mysql://venue_app@127.0.0.1:1/central"]).status == 75)
        #expect(try boxoffice(world, path: path, session: zoe, sale + ["1"]).status == 0)

        let restored = try world.boxoffice(path: path, ["restore", snapshot])
        #expect(
            restored.status == 0 && restored.stdout.contains("1 staff accounts added")
                && restored.stdout.contains("1 cash drawers"), "\(restored.stdout)\(restored.stderr)")
        let sync = try syncOnce(world, path)
        #expect(sync.status == 0 && sync.stderr.contains("sync.taken_back"), "\(sync.stderr)")

        let again = world.directory.file("zoe-again.session")
        let login = try boxoffice(world, path: path, session: again, ["login", "zoe"], stdin: "zoe-password\n")
        #expect(login.status == 0, "\(login.stderr)")
        let drawer = try boxoffice(world, path: path, session: again, ["drawer", "status"])
        #expect(
            drawer.stdout.contains("Float:        100.00 EUR") && drawer.stdout.contains("Cash sales:   30.00 EUR")
                && drawer.stdout.contains("Expected:     130.00 EUR"), "\(drawer.stdout)\(drawer.stderr)")
        let closed = try boxoffice(world, path: path, session: again, ["drawer", "close", "--counted", "13000"])
        #expect(closed.status == 0 && closed.stdout.contains("Balanced."), "\(closed.stdout)\(closed.stderr)")
        #expect(try boxoffice(world, path: path, session: again, sale + ["1"]).status == 0)
        #expect(try syncOnce(world, path).status == 0)
        #expect(try world.centralOrders(node: "NODE-A").count == 3)
    }

    /// The replaced database cannot be read: the take-back brings her sale back under a disabled
    /// account without a password; `users enable` and `users passwd` let her sell again.
    @Test func aCashierCentralKnowsByNameAloneIsEnabledWithANewPassword() throws {
        let world = try SyncWorld()
        let path = try world.makeNodeFile("NODE-A")
        #expect(try syncOnce(world, path).status == 0)
        let snapshot = world.directory.file("old.sqlite")
        #expect(try world.boxoffice(path: path, ["backup", snapshot]).status == 0)
        #expect(
            try world.boxoffice(path: path, ["users", "add", "zoe", "--role", "cashier"], stdin: "zoe-password\n")
                .status == 0)
        let zoe = world.directory.file("zoe.session")
        #expect(try boxoffice(world, path: path, session: zoe, ["login", "zoe"], stdin: "zoe-password\n").status == 0)
        let sale = ["sell", "BIG", "--category", "FLOOR", "--payment", "cash", "--qty", "1"]
        #expect(try boxoffice(world, path: path, session: zoe, sale).status == 0)
        #expect(try syncOnce(world, path).status == 0)

        for suffix in ["-wal", "-shm"] { unlink(path + suffix) }
        try Data(repeating: 0x5a, count: 8192).write(to: URL(fileURLWithPath: path))
        let restored = try world.boxoffice(
            path: path, ["restore", snapshot, "--login", "root", "--discard-unpushed"], stdin: "root-password\n")
        #expect(restored.status == 0, "\(restored.stderr)")
        #expect(try syncOnce(world, path).status == 0)
        let users = try world.boxoffice(path: path, ["users", "list"]).stdout.split(separator: "\n")
        #expect(users.contains { $0.hasPrefix("zoe ") && $0.hasSuffix("disabled") }, "\(users)")
        #expect(try boxoffice(world, path: path, session: zoe, sale).status == 5, "her old session is gone")

        let enabled = try world.boxoffice(path: path, ["users", "enable", "zoe"])
        #expect(
            enabled.status == 0 && enabled.stdout.contains("set a password with 'boxoffice users passwd zoe'"),
            "\(enabled.stdout)\(enabled.stderr)")
        #expect(try world.boxoffice(path: path, ["users", "passwd", "zoe"], stdin: "zoe-new-password\n").status == 0)
        let login = try boxoffice(world, path: path, session: zoe, ["login", "zoe"], stdin: "zoe-new-password\n")
        #expect(login.status == 0, "\(login.stderr)")
        #expect(try boxoffice(world, path: path, session: zoe, sale).status == 0)
        #expect(try syncOnce(world, path).status == 0)
        #expect(try world.centralOrders(node: "NODE-A").count == 2)
    }
}
