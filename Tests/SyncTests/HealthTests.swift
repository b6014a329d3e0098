import Foundation
import TestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// `venue-syncd`'s health endpoints as a load balancer, Kubernetes and Prometheus read them.
@Suite struct HealthTests {
    private func status(_ port: Int, _ path: String) -> (code: Int, status: String?)? {
        Network.get(port: port, path: path).map { answer in
            let document = try? JSONSerialization.jsonObject(with: Data(answer.body.utf8)) as? [String: Any]
            return (answer.status, document?["status"] as? String)
        }
    }

    @Test func maintenanceIsOutOfServiceButAlive() throws {
        let world = try SyncWorld()
        let node = try world.makeNode("NODE-A")
        let port = Network.freePort()
        let daemon = try world.startDaemon(node, ["--interval", "200ms", "--http", "127.0.0.1:\(port)"])
        #expect(waitUntil(timeout: 5) { status(port, "/health")?.status == "UP" } != nil, "\(daemon.stderr)")
        #expect(try world.boxoffice(node, ["maintenance", "on", "--reason", "migration"]).status == 0)
        #expect(status(port, "/health")! == (503, "OUT_OF_SERVICE"))
        #expect(status(port, "/actuator/health/readiness")! == (503, "OUT_OF_SERVICE"))
        #expect(status(port, "/health/liveness")! == (200, "UP"))
        #expect(
            Network.get(port: port, path: "/health")?.body.contains("\"maintenance\":\"migration (by root here)\"")
                == true)
        #expect(try world.boxoffice(node, ["maintenance", "off"]).status == 0)
        #expect(status(port, "/health")! == (200, "UP"))
        daemon.send(SIGTERM)
        #expect(daemon.wait() == 0)
    }

    /// A sync loop stuck in a COMMIT the network swallowed (read timeout 10 min) reads the
    /// database fine, but misses its heartbeat: liveness is DOWN within the stall timeout.
    @Test func aWedgedSyncLoopFailsLivenessWhileTheDatabaseReadsFine() throws {
        let world = try SyncWorld()
        let node = try world.makeNode("NODE-A")
        #expect(try world.syncOnce(node).status == 0)
        for _ in 0..<500 { try node.sell("BIG", "FLOOR") }
        let proxy = try FreezeProxy(world)
        proxy.armNextCommit()
        let port = Network.freePort()
        let daemon = try BackgroundProcess(
            ProcessRunner.product("venue-syncd"),
            [
                "--db", node.path, "--interval", "200ms", "--batch", "100", "--stall-timeout", "2s", "--http",
                "127.0.0.1:\(port)",
            ],
            environment: [
                "CENTRAL_URL": proxy.url(world, query: "read_timeout=600"),
                "CENTRAL_PASSWORD_FILE": world.server.passwordFile,
            ],
            logDirectory: world.directory.path)
        #expect(waitUntil(timeout: 10) { proxy.hasFrozen } != nil, "\(daemon.stderr)")
        let down = waitUntil(timeout: 6) { status(port, "/health/liveness")?.code == 503 }
        #expect(down != nil, "liveness stayed UP with the loop stuck")
        #expect(status(port, "/health/readiness")! == (200, "UP"), "the node still sells")
        #expect(status(port, "/health")!.code == 503)
        #expect(Network.get(port: port, path: "/health/liveness")?.body.contains("lateSeconds") == true)
        daemon.send(SIGKILL)
        _ = daemon.wait()
        withExtendedLifetime(proxy) {}
    }
}
