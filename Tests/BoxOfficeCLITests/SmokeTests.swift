import EdgeStore
import Foundation
import TestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// `boxoffice smoke` as the deployment plan runs it: in maintenance, before traffic opens.
@Suite struct SmokeTests {
    @Test func everyStepPassesAndTheDatabaseIsLeftByteForByteAsItWas() throws {
        let node = try CLINode()
        try node.expectSuccess(["sell", "SHOW", "--category", "GA", "--qty", "2", "--payment", "cash"])
        try node.expectSuccess(["maintenance", "on", "--reason", "deployment"])
        let before = try node.dump()
        let smoke = try node.expectSuccess(["smoke"])
        let lines = smoke.stdout.split(separator: "\n")
        #expect(
            lines.map { $0.split(separator: " ").prefix(3).joined(separator: " ") } == [
                "PASS event scratch", "PASS hold held", "PASS sale order", "PASS notification order",
                "PASS refund ticket", "PASS check-in ticket", "PASS disk the", "PASS mail no", "PASS nothing kept",
            ], "\(smoke.stdout)")
        #expect(try node.dump() == before)
        #expect(try node.run(["sell", "SHOW", "--category", "GA", "--qty", "1", "--payment", "cash"]).status == 7)

        let json = try node.json(["smoke"])
        #expect((json["steps"] as? [[String: Any]])?.count == 9)
        #expect(try node.cashier(["smoke"]).status == 5)
        #expect(try node.dump() == before)
    }

    /// A node whose sale path is broken (here a trigger refuses every notification the sale
    /// queues) fails at that step, skips the rest, exits 1 and still keeps nothing.
    @Test func aBrokenStepFailsTheRunAndTheRestIsSkipped() throws {
        let node = try CLINode()
        try EdgeStore.Database(path: node.database).execute(
            "CREATE TRIGGER broken BEFORE INSERT ON notification BEGIN SELECT RAISE(ABORT, 'mail queue broken'); END")
        let before = try node.dump()
        let smoke = try node.run(["smoke"])
        #expect(smoke.status == 1 && smoke.stderr == "Error: smoke test failed at 'sale'\n")
        #expect(smoke.stdout.contains("FAIL  sale") && smoke.stdout.contains("mail queue broken"))
        #expect(smoke.stdout.contains("SKIP  refund") && smoke.stdout.contains("PASS  nothing kept"))
        #expect(try node.dump() == before)
    }

    /// A full disk fails a sale (exit 1): the smoke test writes its pages to the disk and flushes
    /// them before rolling back, so it fails too, at `disk`, and passes again once there is room.
    @Test(.enabled(if: getuid() == 0, "mounting a file system needs root"))
    func aFullDiskFailsTheSmokeTestAsItFailsASale() throws {
        var folder = ""
        let node = try CLINode { path in
            folder = path
            let mounted = try ProcessRunner.run("/usr/bin/mount", ["-t", "tmpfs", "-o", "size=4m", "tmpfs", path])
            #expect(mounted.status == 0, "\(mounted.stderr)")
        }
        defer { withExtendedLifetime(node) { _ = try? ProcessRunner.run("/usr/bin/umount", [folder]) } }
        let filled = try ProcessRunner.run("/usr/bin/dd", ["if=/dev/zero", "of=\(folder)/filler", "bs=64k"])
        #expect(filled.stderr.contains("No space left on device"), "\(filled.stderr)")
        let sale = try node.run(["sell", "SHOW", "--category", "GA", "--qty", "1", "--payment", "cash"])
        #expect(sale.status == 1 && sale.stderr.contains("disk is full"), "\(sale.stderr)")
        let smoke = try node.run(["smoke"])
        #expect(smoke.status == 1 && smoke.stderr == "Error: smoke test failed at 'disk'\n", "\(smoke.stdout)")
        #expect(
            smoke.stdout.contains("FAIL  disk         SQLite error 13 (database or disk is full)"), "\(smoke.stdout)")
        #expect(smoke.stdout.contains("PASS  nothing kept"))

        #expect(unlink("\(folder)/filler") == 0)
        try node.expectSuccess(["smoke"])
        try node.expectSuccess(["sell", "SHOW", "--category", "GA", "--qty", "1", "--payment", "cash"])
        #expect(try node.count("SELECT count(*) FROM orders") == 1)
        #expect(try node.inventoryViolations().isEmpty)
    }

    /// The smoke test talks to the relay the email worker uses (MAIL_TRANSPORT or --mail) as far as
    /// the sender, and sends nothing; a relay that takes the connection and never answers fails
    /// it, once the 10 s a step have passed.
    @Test func theMailRelayIsCheckedWithoutSendingAndAFrozenOneFailsIt() throws {
        let node = try CLINode()
        let relay = try SMTPServer(in: node.directory)
        let healthy = try ProcessRunner.run(
            CLINode.binary, ["smoke"],
            environment: node.environment().merging(["MAIL_TRANSPORT": "smtp://127.0.0.1:\(relay.port)?starttls=off"]) {
                _, new in new
            })
        #expect(healthy.status == 0, "\(healthy.stdout)")
        #expect(
            healthy.stdout.contains("PASS  mail         smtp://127.0.0.1:\(relay.port) (starttls off): "),
            "\(healthy.stdout)")
        #expect(try relay.received().isEmpty, "the check sent a message")

        let arm = node.directory.file("freeze")
        try "connections\n".write(toFile: arm, atomically: true, encoding: .utf8)
        let proxyPort = Network.freePort()
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Helpers/freeze-proxy.py").path
        let proxy = try BackgroundProcess(
            "/usr/bin/python3", [script, String(proxyPort), "127.0.0.1", String(relay.port), arm],
            logDirectory: node.directory.path)
        #expect(waitUntil(timeout: 5) { proxy.stderr.contains("listening") } != nil)
        let frozen = try node.run(["smoke", "--mail", "smtp://127.0.0.1:\(proxyPort)"])
        #expect(frozen.status == 1 && frozen.stderr == "Error: smoke test failed at 'mail'\n", "\(frozen.stdout)")
        #expect(frozen.stdout.contains("did not answer in time"), "\(frozen.stdout)")
        #expect(proxy.stderr.contains("frozen"))
    }
}
