import Foundation
import TestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// The units in `Scripts/systemd` as systemd applies them, on a host provisioned by
/// `Scripts/provision`: each unit's seccomp filters, user, file-system and address-family
/// restrictions, read from the unit file itself (`Tests/Helpers/unit-sandbox.py`). Needs root.
@Suite(.enabled(if: getuid() == 0, "namespaces, mounts and users need root"))
struct ServiceSandboxTests {
    static let units = ServiceUnitTests.folder

    /// Central over TCP, as a venue reaches it (the sandbox's private /tmp hides the test server's socket).
    private func tcp(_ url: String) -> String { String(url.split(separator: "?").first ?? "") }

    @Test func theDaemonAndItsEmailWorkerSyncASaleAndStopCleanlyUnderTheirUnit() throws {
        let world = try SyncWorld()
        let smtp = try SMTPServer(in: world.directory)
        let host = try InstalledHost(in: world.directory, name: "node-host")
        let provisioned = try host.provision(
            [
                InstalledHost.repository + "/Scripts/provision", "node", "--node", "NODE-A", "--admin", "manager",
                "--central-password-file", world.server.passwordFile,
            ], stdin: "manager-password\n")
        #expect(provisioned.status == 0, "\(provisioned.stderr)")
        try host.set(
            [
                "CENTRAL_URL": tcp(world.url), "MAIL_TRANSPORT": "smtp://127.0.0.1:\(smtp.port)?starttls=off",
                "SYNCD_INTERVAL": "200ms",
            ], in: "/etc/venue/node.conf")
        let notify = try NotifySocket(path: world.directory.file("notify"))
        let port = Network.freePort()
        let daemon = try host.start(
            unit: Self.units + "/venue-syncd.service",
            [
                "--credential", "central-password=\(world.server.passwordFile)", "--notify-socket", notify.path,
                "--replace", "127.0.0.1:9464=127.0.0.1:\(port)",
            ], logDirectory: world.directory.path)
        try #require(notify.wait(for: "READY=1", timeout: 20), "\(daemon.stderr)")

        let boxoffice = ["/usr/local/bin/boxoffice", "--config", "/etc/venue/node.conf"]
        #expect(try host.run(as: "venue", boxoffice + ["login", "manager"], stdin: "manager-password\n").status == 0)
        let sale = try host.run(
            as: "venue",
            boxoffice + [
                "sell", "BIG", "--category", "FLOOR", "--qty", "2", "--payment", "cash", "--customer",
                "fan@example.org",
            ])
        #expect(sale.status == 0, "\(sale.stderr)")
        let synced = waitUntil(timeout: 20) { ((try? world.centralOrders(node: "NODE-A")) ?? [:]).count == 1 }
        #expect(synced != nil, "\(daemon.stderr)")
        #expect(waitUntil(timeout: 20) { ((try? smtp.received()) ?? []).count == 1 } != nil, "\(daemon.stderr)")
        #expect(Network.get(port: port, path: "/health/liveness")?.status == 200)
        #expect(notify.wait(for: "WATCHDOG=1", timeout: 60), "\(daemon.stderr)")

        // Its writers' queue file truncated under it: the daemon, under the unit's system call
        // filter, catches the SIGBUS its mapping raises, puts a new file in place and sells on.
        let truncated = try host.run(
            as: "venue", ["/usr/bin/truncate", "-s", "0", "/var/lib/venue/venue.sqlite-writer"])
        #expect(truncated.status == 0, "\(truncated.stderr)")
        #expect(
            waitUntil(timeout: 20) { daemon.stderr.contains("\"incident\":\"replaced\"") } != nil, "\(daemon.stderr)")
        let again = try host.run(
            as: "venue", boxoffice + ["sell", "BIG", "--category", "FLOOR", "--qty", "1", "--payment", "cash"])
        #expect(again.status == 0, "\(again.stderr)")
        #expect(
            waitUntil(timeout: 20) { ((try? world.centralOrders(node: "NODE-A")) ?? [:]).count == 2 } != nil,
            "\(daemon.stderr)")

        daemon.send(SIGTERM)
        #expect(notify.wait(for: "STOPPING=1", timeout: 20))
        #expect(daemon.wait() == 0, "\(daemon.stderr)")
        #expect(daemon.process.terminationReason == .exit)
        #expect(daemon.stderr.contains("\"event\":\"syncd.stopped\""), "\(daemon.stderr)")
    }

    @Test func theReconcileJobRunsUnderItsUnit() throws {
        let world = try SyncWorld()
        let node = try world.makeNode("NODE-A")
        #expect(try world.syncOnce(node).status == 0)
        try node.sell("BIG", "FLOOR")
        #expect(try world.syncOnce(node).status == 0)
        let host = try InstalledHost(in: world.directory, name: "central-host")
        let provisioned = try host.provision([
            InstalledHost.repository + "/Scripts/provision", "reconcile", "--central-password-file",
            world.server.passwordFile,
        ])
        #expect(provisioned.status == 0, "\(provisioned.stderr)")
        try host.set(["CENTRAL_URL": tcp(world.url)], in: "/etc/venue/central.conf")
        let reconcile = try host.runUnit(
            Self.units + "/central-reconcile.service",
            ["--credential", "central-password=\(world.server.passwordFile)"])
        #expect(reconcile.status == 0, "\(reconcile.stderr)")
        #expect(reconcile.stdout.contains("\"mode\" : \"settle\""), "\(reconcile.stdout)")
    }

    /// The fleet metrics as their unit runs them: a scrape reads central, SIGTERM stops them with exit 0.
    @Test func theFleetMetricsServeUnderTheirUnit() throws {
        let world = try SyncWorld()
        let node = try world.makeNode("NODE-A")
        #expect(try world.syncOnce(node).status == 0)
        let host = try InstalledHost(in: world.directory, name: "metrics-host")
        let provisioned = try host.provision([
            InstalledHost.repository + "/Scripts/provision", "reconcile", "--central-password-file",
            world.server.passwordFile,
        ])
        #expect(provisioned.status == 0, "\(provisioned.stderr)")
        try host.set(["CENTRAL_URL": tcp(world.url)], in: "/etc/venue/central.conf")
        let port = Network.freePort()
        let metrics = try host.start(
            unit: Self.units + "/central-metrics.service",
            [
                "--credential", "central-password=\(world.server.passwordFile)",
                "--replace", "127.0.0.1:9465=127.0.0.1:\(port)",
            ], logDirectory: world.directory.path)
        var scrape = ""
        waitUntil(timeout: 20) {
            scrape = Network.get(port: port, path: "/metrics")?.body ?? ""
            return !scrape.isEmpty || !metrics.isRunning
        }
        #expect(scrape.contains("\nvenue_central_up 1\n"), "\(scrape)\(metrics.stderr)")
        #expect(scrape.contains("venue_fleet_node_epoch{node=\"NODE-A\"} 1\n"), "\(scrape)")
        metrics.send(SIGTERM)
        #expect(metrics.wait() == 0, "\(metrics.stderr)")
        #expect(metrics.process.terminationReason == .exit)
    }

    /// The helper itself: what the unit forbids fails, as it would under systemd. A unit with
    /// venue-syncd's [Service] section and another command: a system call the filter leaves out
    /// kills it (SIGSYS), a write outside the state directory fails, the state directory takes it.
    @Test func whatTheUnitForbidsFailsInTheSandbox() throws {
        let directory = TemporaryDirectory()
        let host = try InstalledHost(in: directory, name: "host")
        let provisioned = try host.provision(
            [InstalledHost.repository + "/Scripts/provision", "node", "--node", "NODE-A", "--admin", "manager"],
            stdin: "manager-password\n")
        #expect(provisioned.status == 0, "\(provisioned.stderr)")
        let shipped = try String(contentsOfFile: Self.units + "/venue-syncd.service", encoding: .utf8)
        func unit(_ command: String) throws -> String {
            let path = directory.file("probe-\(UUID().uuidString.prefix(6)).service")
            try shipped.split(separator: "\n", omittingEmptySubsequences: false).map { line in
                line.hasPrefix("ExecStart=") ? "ExecStart=\(command)" : line.hasPrefix("Type=") ? "Type=simple" : line
            }
            .joined(separator: "\n").write(toFile: path, atomically: true, encoding: .utf8)
            return path
        }
        let credential = directory.file("password")
        try "x\n".write(toFile: credential, atomically: true, encoding: .utf8)
        func run(_ command: String) throws -> ProcessResult {
            try host.runUnit(try unit(command), ["--credential", "central-password=\(credential)"])
        }
        let ioprio = try run("/usr/bin/ionice -c 3 /usr/bin/true")
        #expect(ioprio.status == SIGSYS, "ioprio_set is in @resources: \(ioprio.stderr)")
        let etc = try run("/usr/bin/touch /etc/venue/written")
        #expect(etc.status == 1 && etc.stderr.contains("Read-only file system"), "\(etc.stderr)")
        let home = try run("/usr/bin/ls /root")
        #expect(home.status != 0 && home.stderr.contains("Permission denied"), "\(home.stderr)")
        #expect(try run("/usr/bin/touch /var/lib/venue/written").status == 0)
        #expect(try run("/usr/bin/id -un").stdout == "venue\n")
        let raw = try run("/usr/bin/python3 -c 'import socket; socket.socket(socket.AF_PACKET, socket.SOCK_RAW)'")
        #expect(raw.status == 1 && raw.stderr.contains("Address family not supported"), "\(raw.stderr)")
    }
}
