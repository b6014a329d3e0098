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

    /// A till that sells while the smoke test runs leaves rows of its own: the test finds its
    /// own scratch rows gone, and passes. The sale is made while the smoke test waits on the
    /// relay's greeting (its rehearsal rolled back, its last check to come).
    @Test func salesMadeMeanwhileAreNotTakenForWhatTheRehearsalKept() throws {
        let node = try CLINode()
        let relay = try HeldRelay()
        let smoke = try BackgroundProcess(
            CLINode.binary, ["smoke"],
            environment: node.environment().merging(["MAIL_TRANSPORT": "smtp://127.0.0.1:\(relay.port)?starttls=off"]) {
                _, new in new
            }, logDirectory: node.directory.path)
        let connection = try #require(relay.accept(), "the smoke test never reached its mail step")
        defer { close(connection) }
        try node.expectSuccess(["sell", "SHOW", "--category", "GA", "--qty", "2", "--payment", "cash"])
        relay.converse(on: connection)
        #expect(smoke.wait() == 0, "\(smoke.stdout)")
        #expect(smoke.stdout.contains("PASS  nothing kept"), "\(smoke.stdout)")
        #expect(try node.count("SELECT count(*) FROM orders") == 1)
        #expect(try node.count("SELECT count(*) FROM event WHERE id LIKE 'SMOKE-%'") == 0)
    }
}

/// A mail relay that takes a connection and greets only when told to (``converse(on:)``), then
/// says yes to every command until QUIT.
private final class HeldRelay {
    let descriptor: Int32
    let port: Int

    init() throws {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(descriptor, $0, &length) }
        }
        guard bound == 0, listen(descriptor, 4) == 0 else {
            close(descriptor)
            throw CocoaError(.fileWriteUnknown)
        }
        self.descriptor = descriptor
        port = Int(UInt16(bigEndian: address.sin_port))
    }

    deinit { close(descriptor) }

    /// The next connection, once a client made one (within a generous 60 s); nil without one.
    func accept() -> Int32? {
        var waiting = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
        guard poll(&waiting, 1, 60_000) == 1 else { return nil }
        let connection = Glibc.accept(descriptor, nil, nil)
        return connection >= 0 ? connection : nil
    }

    /// Greets, answers each command line, and returns after QUIT or when the client hangs up.
    func converse(on connection: Int32) {
        func say(_ line: String) {
            _ = Array(line.utf8).withUnsafeBytes { write(connection, $0.baseAddress, $0.count) }
        }
        say("220 relay.test ESMTP\r\n")
        var pending = [UInt8]()
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = read(connection, &buffer, buffer.count)
            guard count > 0 else { return }
            pending += buffer[0..<count]
            while let end = pending.firstIndex(of: UInt8(ascii: "\n")) {
                let command = String(decoding: pending[..<end], as: UTF8.self).uppercased()
                pending.removeSubrange(...end)
                if command.hasPrefix("QUIT") {
                    say("221 bye\r\n")
                    return
                }
                say("250 ok\r\n")
            }
        }
    }
}
