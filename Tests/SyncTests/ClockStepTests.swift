import Foundation
import SyncWire
import TestSupport
import Testing
import Ticketing

#if canImport(Glibc)
    import Glibc
#endif

/// `venue-syncd` whose wall clock steps back and forward while it runs (``SteppedClock``: as NTP
/// correcting a bad clock would, not `faketime`'s fixed offset). Its intervals, backoffs and
/// heartbeat run on the monotonic clock, so each step changes only the times it shows.
@Suite(.serialized) struct ClockStepTests {
    @Test func aDaemonWhoseClockStepsKeepsPullingProbingAndBeating() throws {
        let world = try SyncWorld(privateServer: true)
        let node = try world.makeNode("NODE-A")
        #expect(try world.syncOnce(node).status == 0)
        // Central through a proxy that can freeze a COMMIT, for the wedged loop at the end.
        let proxy = try FreezeProxy(world)

        let clock = try SteppedClock(directory: world.directory.path)
        let port = Network.freePort()
        let daemon = try BackgroundProcess(
            ProcessRunner.product("venue-syncd"),
            [
                "--db", node.path, "--interval", "500ms", "--max-backoff", "1s", "--stall-timeout", "2s", "--http",
                "127.0.0.1:\(port)",
            ],
            environment: clock.environment.merging([
                "CENTRAL_URL": proxy.url(world, query: "read_timeout=600"),
                "CENTRAL_PASSWORD_FILE": world.server.passwordFile,
            ]) { $1 },
            logDirectory: world.directory.path)
        defer {
            daemon.send(SIGKILL)
            _ = daemon.wait()
            withExtendedLifetime(proxy) {}
        }
        func health(_ path: String = "/health") -> (status: Int, document: [String: Any])? {
            Network.get(port: port, path: path).flatMap { answer in
                (try? JSONSerialization.jsonObject(with: Data(answer.body.utf8)) as? [String: Any]).map {
                    (answer.status, $0)
                }
            }
        }
        func details(_ component: String) -> [String: Any]? {
            ((health()?.document["components"] as? [String: Any])?[component] as? [String: Any])?["details"]
                as? [String: Any]
        }
        func mode() -> String? { details("central")?["mode"] as? String }
        func pending() -> Int? { details("outbox")?["pending"] as? Int }
        /// How far behind the real time the daemon's last heartbeat says it was, in seconds.
        func shownBehind() -> Double? {
            (details("syncLoop")?["lastBeatAt"] as? String).flatMap(Timestamp.init(iso8601:)).map {
                Double(SystemWallClock().now().milliseconds - $0.milliseconds) / 1000
            }
        }
        #expect(waitUntil(timeout: 10) { mode() == "writable" } != nil, "\(daemon.stderr)")

        // Back an hour while central is writable: the next pull still comes within an interval,
        // and brings an allocation change made at central.
        try clock.set(offset: -3600)
        #expect(waitUntil(timeout: 5) { (shownBehind() ?? 0) > 3500 } != nil, "the daemon's clock did not step")
        let grow = try world.central(["allocate", "BIG", "--category", "FLOOR", "--node", "NODE-A", "--quota", "11000"])
        #expect(grow.status == 0, "\(grow.stderr)")
        #expect(
            try waitUntil(timeout: 10) {
                try node.count("SELECT quota FROM allocation WHERE event_id = 'BIG' AND category_code = 'FLOOR'")
                    == 11000
            } != nil, "no pull after the clock stepped back: \(daemon.stderr)")
        try node.sell("BIG", "FLOOR")
        #expect(waitUntil(timeout: 5) { pending() == 0 } != nil)
        #expect(health("/health/liveness")?.status == 200)

        // Central goes read-only; then the clock steps back another hour while the daemon waits
        // to probe. Once central is writable, the next probe finds it and the outbox drains.
        try world.server.sql("SET GLOBAL read_only = ON")
        try node.sell("BIG", "FLOOR")
        #expect(waitUntil(timeout: 10) { mode() == "read_only" } != nil, "\(daemon.stderr)")
        try clock.set(offset: -7200)
        #expect(waitUntil(timeout: 5) { (shownBehind() ?? 0) > 7100 } != nil)
        for _ in 0..<5 { try node.sell("BIG", "FLOOR") }
        try world.server.sql("SET GLOBAL read_only = OFF")
        #expect(
            waitUntil(timeout: 15) { mode() == "writable" && pending() == 0 } != nil,
            "no probe after the clock stepped back: \(daemon.stderr)")
        #expect(try world.central.scalar("SELECT COUNT(*) FROM ticket WHERE node_id = 'NODE-A'") == 7)

        // Forward three hours: a live loop is not taken for a wedged one.
        try clock.set(offset: 3600)
        #expect(waitUntil(timeout: 5) { (shownBehind() ?? 0) < -3500 } != nil)
        #expect(health("/health/liveness")?.status == 200, "\(health("/health/liveness")?.document ?? [:])")
        try node.sell("BIG", "FLOOR")
        #expect(waitUntil(timeout: 5) { pending() == 0 } != nil)
        #expect(health("/health/liveness")?.status == 200)

        // The loop wedges in a COMMIT the network swallowed, then the clock steps back an hour:
        // liveness still goes DOWN once the stall timeout has passed.
        proxy.armNextCommit()
        try node.sell("BIG", "FLOOR")
        #expect(waitUntil(timeout: 10) { proxy.hasFrozen } != nil, "\(daemon.stderr)")
        try clock.set(offset: 0)
        #expect(
            waitUntil(timeout: 15) { health("/health/liveness")?.status == 503 } != nil,
            "liveness stayed UP with the loop wedged and the clock stepped back")
    }
}

extension ClockStepTests {
    /// SIGTERM while the email worker hands a message to a relay that never answers: the daemon
    /// waits 5 s of the monotonic clock for it, then exits. Its wall clock is an hour ahead of
    /// the kernel's here, so a wait that handed the kernel a wall-clock deadline (a semaphore's)
    /// would last an hour longer, as after a step back an hour in the middle of it.
    @Test func aStopWaitsForTheEmailWorkerOnTheMonotonicClock() throws {
        let world = try SyncWorld()
        let node = try world.makeNode("NODE-A")
        #expect(try world.syncOnce(node).status == 0)
        _ = try node.node.sales.sell(
            SaleRequest(
                eventID: "BIG", categoryCode: "FLOOR", selection: .quantity(1), payment: PaymentRequest(method: .cash),
                customer: CustomerDetails(email: "ana@example.org")), by: node.admin)
        let started = world.directory.file("sendmail.pid")
        let sendmail = world.directory.file("sendmail")
        try """
        #!/bin/sh
        echo $$ > '\(started).new' && mv '\(started).new' '\(started)'
        exec tail -f /dev/null
        """.write(toFile: sendmail, atomically: true, encoding: .utf8)
        #expect(chmod(sendmail, 0o755) == 0)
        let clock = try SteppedClock(directory: world.directory.path)
        let daemon = try BackgroundProcess(
            ProcessRunner.product("venue-syncd"),
            ["--db", node.path, "--interval", "200ms", "--mail", "sendmail:\(sendmail)"],
            environment: world.environment.merging(clock.environment) { $1 }, logDirectory: world.directory.path)
        #expect(
            waitUntil(timeout: 10) { FileManager.default.fileExists(atPath: started) } != nil,
            "the worker did not start sendmail: \(daemon.stderr)")
        // The sendmail process holds what Foundation's `Process` watches to learn that the daemon
        // ended, so the daemon's end is read from /proc, and sendmail killed before `wait`.
        let sendmailPID = try #require(
            Int32(try String(contentsOfFile: started, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)))
        defer { kill(sendmailPID, SIGKILL) }
        func ended(_ pid: Int32) -> Bool {
            guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8) else { return true }
            return stat.split(separator: ")").last?.split(separator: " ").first == "Z"
        }
        try clock.set(offset: 3600)
        daemon.send(SIGTERM)
        #expect(
            waitUntil(timeout: 30) { ended(daemon.pid) } != nil,
            "the daemon waited for its email worker on the wall clock")
        kill(sendmailPID, SIGKILL)
        #expect(daemon.wait() == 0, "\(daemon.stderr)")
    }
}
