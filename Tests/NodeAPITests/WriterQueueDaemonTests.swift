import Foundation
import TestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// `venue-syncd` and the database's writers' queue file (`<database>-writer`) that other
/// processes truncate, lock or give a second name while the daemon's connections use it: the
/// daemon neither dies nor hangs, sells on, says what happened in `/health` and logs each
/// incident once.
@Suite struct WriterQueueDaemonTests {
    /// The queue file truncated to nothing under the daemon's connections: the next sale through
    /// the API touches the mapping past the file's end (a SIGBUS, which kills a process that does
    /// not catch it), finds the queue gone, puts a new file in its place and sells.
    @Test func aWriterFileTruncatedUnderTheDaemonIsReplacedAndSalesGoOn() throws {
        let node = try APINode()
        let token = try node.signIn("cal")
        #expect(try sell(node, token: token, key: "wq-truncate-before-0001") == 201)
        #expect(truncate(node.database + "-writer", 0) == 0)

        #expect(try sell(node, token: token, key: "wq-truncate-after-00001") == 201, "\(node.daemon.stderr)")
        #expect(node.daemon.isRunning, "\(node.daemon.stderr)")
        try APINode.boxoffice(
            node.database, ["sell", "GALA", "--category", "FLOOR", "--qty", "1", "--payment", "cash"])
        #expect(
            waitUntil(timeout: 30) { node.daemon.stderr.contains("truncated while in use") } != nil,
            "\(node.daemon.stderr)")
        #expect(try node.count("SELECT count(*) FROM orders") == 3)
    }

    /// Another program's `flock` on the queue file and another's lock on its turn, neither of
    /// which writes: sales go on, `/health` answers UP and says who kept the turn, and liveness,
    /// which only the sync loop decides, stays UP.
    @Test func foreignLocksOnTheWriterFileLeaveTheDaemonAnswering() throws {
        let node = try APINode()
        let token = try node.signIn("cal")
        let writer = node.database + "-writer"
        let flock = try BackgroundProcess(
            "/usr/bin/flock", ["--no-fork", writer, "/bin/sh", "-c", "echo held >&2; exec sleep 1000"],
            logDirectory: node.directory.path)
        #expect(waitUntil(timeout: 30) { flock.stderr.contains("held") } != nil, "\(flock.stderr)")
        let turn = try BackgroundProcess(
            "/usr/bin/python3", [APINode.helpers + "/hold-writer-turn.py", "--lock", writer],
            logDirectory: node.directory.path)
        #expect(waitUntil(timeout: 30) { turn.stderr.contains("held") } != nil, "\(turn.stderr)")

        #expect(try sell(node, token: token, key: "wq-foreign-locks-00001") == 201, "\(node.daemon.stderr)")
        let health = Network.get(port: node.port, path: "/health")
        #expect(health?.status == 200, "\(health?.body ?? "no answer")")
        #expect(
            health?.body.contains("kept over 0.5 s by process \(turn.pid) (python3)") == true, "\(health?.body ?? "")")
        #expect(Network.get(port: node.port, path: "/health/liveness")?.status == 200)
        for holder in [flock, turn] {
            holder.send(SIGKILL)
            holder.wait()
        }
        #expect(try node.count("SELECT count(*) FROM orders") == 1)
    }

    /// A writer hung in its turn (the turn and SQLite's write lock kept): readiness says DOWN and
    /// why, liveness UP, and no probe worker waits for the turn meanwhile. The one thread of the
    /// daemon's probes that does is the writers' check, whose last answer the probes give. The
    /// WAL is long: a probe's connection that truncated it as it closed would wait for a turn too.
    @Test func probesNeverWaitForAWriterThatKeepsTheTurn() throws {
        let node = try APINode()
        let token = try node.signIn("cal")
        for index in 0..<30 {
            #expect(try sell(node, token: token, key: "wq-long-wal-sale-\(100_000 + index)") == 201)
        }
        var wal = stat()
        #expect(stat(node.database + "-wal", &wal) == 0 && wal.st_size > 200 * (2048 + 24), "\(wal.st_size)")
        let writer = node.database + "-writer"
        let holder = try BackgroundProcess(
            "/usr/bin/python3", [APINode.helpers + "/hold-writer-turn.py", "--lock", writer, node.database],
            logDirectory: node.directory.path)
        #expect(waitUntil(timeout: 30) { holder.stderr.contains("held") } != nil, "\(holder.stderr)")

        let probes = DispatchGroup()
        for _ in 0..<6 {
            DispatchQueue.global().async(group: probes) { _ = Network.get(port: node.port, path: "/health/readiness") }
        }
        // Until readiness says DOWN, which takes a check that waited the limit: which threads
        // wait for the turn, looked at between probes.
        var waiting = Set<String>()
        #expect(
            waitUntil(timeout: 30) {
                waiting.formUnion(ThreadState.threadsInFutex(node.daemon.pid, onFile: writer))
                return Network.get(port: node.port, path: "/health/readiness")?.status == 503
            } != nil)
        waiting.formUnion(ThreadState.threadsInFutex(node.daemon.pid, onFile: writer))
        #expect(waiting.contains("health.writers"), "\(waiting)")
        #expect(!waiting.contains { $0.hasPrefix("http.probe") }, "probe workers wait for the turn: \(waiting)")
        let readiness = Network.get(port: node.port, path: "/health/readiness")
        #expect(readiness?.body.contains("no writer got its turn within 1.0 s") == true, "\(readiness?.body ?? "")")
        #expect(Network.get(port: node.port, path: "/health/liveness")?.status == 200)
        probes.wait()

        holder.send(SIGKILL)
        holder.wait()
        #expect(
            waitUntil(timeout: 30) { Network.get(port: node.port, path: "/health/readiness")?.status == 200 } != nil)
        #expect(try sell(node, token: token, key: "wq-after-the-hung-writer") == 201)
    }

    /// Each incident is logged once, as a `store.writer_queue` event, whichever connection of the
    /// daemon met it: a second name given to the queue file (replaced), a directory where the file
    /// should be (no file can serve: unqueued, and sales go on under SQLite's lock), and the
    /// directory gone (queued again).
    @Test func writerQueueIncidentsAreLoggedOnceEach() throws {
        let node = try APINode()
        let token = try node.signIn("cal")
        let writer = node.database + "-writer"
        let other = node.directory.file("other-name")
        #expect(link(writer, other) == 0)
        #expect(
            waitUntil(timeout: 30) { lines(node, "incident=replaced").contains { $0.contains("2 names") } } != nil,
            "\(node.daemon.stderr)")
        let health = Network.get(port: node.port, path: "/health")
        #expect(health?.body.contains("2 names (hard links)") == true, "\(health?.body ?? "no answer")")

        #expect(rename(writer, writer + ".aside") == 0 && mkdir(writer, 0o700) == 0)
        #expect(waitUntil(timeout: 30) { !lines(node, "incident=unqueued").isEmpty } != nil, "\(node.daemon.stderr)")
        #expect(try sell(node, token: token, key: "wq-unqueued-sale-00001") == 201, "\(node.daemon.stderr)")
        #expect(rmdir(writer) == 0)
        #expect(waitUntil(timeout: 30) { !lines(node, "incident=queued").isEmpty } != nil, "\(node.daemon.stderr)")
        #expect(try sell(node, token: token, key: "wq-queued-sale-000001") == 201, "\(node.daemon.stderr)")

        for incident in ["replaced", "unqueued", "queued"] {
            #expect(lines(node, "incident=\(incident)").count == 1, "\(node.daemon.stderr)")
        }
        #expect(try node.count("SELECT count(*) FROM orders") == 2)
    }

    /// The daemon's `store.writer_queue` log lines that contain `text`.
    private func lines(_ node: APINode, _ text: String) -> [Substring] {
        node.daemon.stderr.split(separator: "\n").filter { $0.contains("store.writer_queue") && $0.contains(text) }
    }

    /// A cash sale of one FLOOR ticket through the API: its HTTP status (0 when nothing answered
    /// within a generous 60 s).
    private func sell(_ node: APINode, token: String, key: String) throws -> Int {
        let result = try ProcessRunner.run(
            "/usr/bin/curl",
            [
                "-sS", "--max-time", "60", "-o", "/dev/null", "-w", "%{http_code}", "-H",
                "Authorization: Bearer \(token)",
                "-H", "Idempotency-Key: \(key)", "-H", "Content-Type: application/json", "--data-binary",
                APIAccessTests.sale, node.base + "/v1/sales",
            ])
        return Int(result.stdout) ?? 0
    }
}
