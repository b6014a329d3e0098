import Foundation
import SyncEngine
import TestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// `venue-syncd` under `Type=notify` and `WatchdogSec=`: what systemd hears on `$NOTIFY_SOCKET`.
@Suite struct ServiceNotifierTests {
    @Test func theDaemonSaysReadyKeepsTheWatchdogFedAndSaysStoppingOnSIGTERM() throws {
        let world = try SyncWorld()
        let node = try world.makeNode("NODE-A")
        let notify = try NotifySocket(path: world.directory.file("notify"))
        let daemon = try BackgroundProcess(
            ProcessRunner.product("venue-syncd"), ["--db", node.path, "--interval", "200ms"],
            environment: world.environment.merging([
                "NOTIFY_SOCKET": notify.path, "WATCHDOG_USEC": "400000",
            ]) { _, new in new }, logDirectory: world.directory.path)
        var messages = [String]()
        #expect(notify.wait(for: "READY=1", timeout: 10) { messages.append($0) }, "\(daemon.stderr)")
        #expect(messages.first?.contains("STATUS=syncing node NODE-A with mysql://") == true, "\(messages)")
        #expect(notify.wait(for: "WATCHDOG=1", timeout: 10), "\(daemon.stderr)")
        #expect(notify.wait(for: "WATCHDOG=1", timeout: 10))
        daemon.send(SIGTERM)
        #expect(notify.wait(for: "STOPPING=1", timeout: 10))
        #expect(daemon.wait() == 0)
    }

    /// A sync loop stuck in a COMMIT the network swallowed (read timeout 10 min) misses its
    /// heartbeat: the daemon stops feeding the watchdog, so systemd kills and restarts it.
    @Test func aWedgedSyncLoopStopsFeedingTheWatchdog() throws {
        let world = try SyncWorld()
        let node = try world.makeNode("NODE-A")
        #expect(try world.syncOnce(node).status == 0)
        for _ in 0..<500 { try node.sell("BIG", "FLOOR") }
        let proxy = try FreezeProxy(world)
        let notify = try NotifySocket(path: world.directory.file("notify"))
        let port = Network.freePort()
        let daemon = try BackgroundProcess(
            ProcessRunner.product("venue-syncd"),
            [
                "--db", node.path, "--interval", "200ms", "--batch", "100", "--stall-timeout", "2s", "--http",
                "127.0.0.1:\(port)",
            ],
            environment: [
                "CENTRAL_URL": proxy.url(world, query: "read_timeout=600"),
                "CENTRAL_PASSWORD_FILE": world.server.passwordFile, "NOTIFY_SOCKET": notify.path,
                "WATCHDOG_USEC": "400000",
            ],
            logDirectory: world.directory.path)
        #expect(notify.wait(for: "WATCHDOG=1", timeout: 10), "\(daemon.stderr)")
        proxy.armNextCommit()
        #expect(waitUntil(timeout: 10) { proxy.hasFrozen } != nil, "\(daemon.stderr)")
        let wedged = waitUntil(timeout: 10) { Network.get(port: port, path: "/health/liveness")?.status == 503 }
        #expect(wedged != nil, "liveness stayed UP with the loop stuck")
        while notify.receive(timeout: 0.01) != nil {}  // what was sent before the heartbeat was late
        #expect(notify.receive(timeout: 2) == nil, "WATCHDOG=1 kept coming, ten intervals after the loop wedged")
        daemon.send(SIGKILL)
        _ = daemon.wait()
        withExtendedLifetime(proxy) {}
    }

    @Test func outsideSystemdOrForAnotherProcessThereIsNothingToFeed() {
        #expect(ServiceNotifier(environment: [:]).socketPath == nil)
        #expect(ServiceNotifier(environment: [:]).watchdogInterval == nil)
        let watched = ServiceNotifier(environment: ["NOTIFY_SOCKET": "/run/x", "WATCHDOG_USEC": "30000000"])
        #expect(watched.watchdogInterval == 15)
        let other = ServiceNotifier(environment: [
            "NOTIFY_SOCKET": "/run/x", "WATCHDOG_USEC": "30000000", "WATCHDOG_PID": String(getpid() + 1),
        ])
        #expect(other.watchdogInterval == nil)
    }
}
