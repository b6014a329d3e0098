import Foundation
import TestSupport
import Testing

@testable import HTTPServer

#if canImport(Glibc)
    import Glibc
#endif

/// The listener with real clients: raw sockets, `curl` and Python's `http.client`.
@Suite struct HTTPServerTests {
    /// A server answering `/ok` and `/health` (on the probe workers), 404 otherwise; `/block`
    /// and `/sign-in` (on the credential workers) wait for `release` after signalling `entered`.
    private final class Fixture: Sendable {
        let server: HTTPServer
        let entered = DispatchSemaphore(value: 0)
        let release = DispatchSemaphore(value: 0)

        init(_ configure: (inout HTTPServer.Configuration) -> Void = { _ in }) throws {
            var configuration = HTTPServer.Configuration()
            configure(&configuration)
            let entered = entered
            let release = release
            server = try HTTPServer(
                listening: ListenAddress(host: "127.0.0.1", port: 0), configuration: configuration,
                handler: HTTPClosureHandler(lane: Self.lane) { request in
                    switch request.path {
                    case "/ok", "/health": return HTTPResponse(status: 200, body: "hello \(request.method)\n")
                    case "/echo": return HTTPResponse(status: 200, bytes: request.body)
                    case "/block", "/sign-in":
                        entered.signal()
                        release.wait()
                        return HTTPResponse(status: 200, body: "done\n")
                    default: return HTTPResponse(status: 404, body: "no\n")
                    }
                })
            server.start()
        }

        var port: Int { server.port }

        @Sendable static func lane(for head: HTTPRequestHead) -> HTTPLane {
            switch head.path {
            case "/health": .probe
            case "/sign-in": .credentials
            default: .work
            }
        }
    }

    private static let helpers = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Helpers").path

    private func curl(_ arguments: [String]) throws -> ProcessResult {
        try ProcessRunner.run("/usr/bin/curl", ["-sS"] + arguments)
    }

    @Test func servesGetHeadAndBodiesOverKeptAliveConnections() throws {
        let fixture = try Fixture()
        defer { fixture.server.stop() }
        let result = try ProcessRunner.run(
            "/usr/bin/env",
            ["python3", Self.helpers + "/http-client.py", "keepalive", String(fixture.port), "50", "/ok"])
        #expect(
            result.stdout == "statuses \(Array(repeating: "200", count: 50).joined(separator: ",")) connections 1\n")
        let head = try curl(["-I", "http://127.0.0.1:\(fixture.port)/ok"])
        #expect(head.stdout.hasPrefix("HTTP/1.1 200 OK\r\n"))
        #expect(head.stdout.contains("Content-Length: 11\r\n"))
        let echo = try curl(["--data-binary", "@-", "http://127.0.0.1:\(fixture.port)/echo"])
        #expect(echo.stdout == "")
        let chunked = try ProcessRunner.run(
            "/usr/bin/curl",
            [
                "-sS", "-H", "Transfer-Encoding: chunked", "--data-binary", "@-",
                "http://127.0.0.1:\(fixture.port)/echo",
            ],
            stdin: String(repeating: "seat ", count: 3000))
        #expect(chunked.stdout == String(repeating: "seat ", count: 3000))
    }

    /// Two requests in one write are answered in order on the same connection.
    @Test func answersPipelinedRequestsInOrder() throws {
        let fixture = try Fixture()
        defer { fixture.server.stop() }
        let client = try RawClient(port: fixture.port)
        client.send(
            "GET /ok HTTP/1.1\r\nHost: t\r\n\r\nHEAD /ok HTTP/1.1\r\nHost: t\r\n\r\nGET /nothing HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n"
        )
        let answers = client.readToEnd()
        let statuses = answers.utf8.split(separator: UInt8(ascii: "\n")).map {
            String(decoding: $0.dropLast(), as: UTF8.self)
        }
        .filter { $0.hasPrefix("HTTP/1.1 ") }
        #expect(statuses == ["HTTP/1.1 200 OK", "HTTP/1.1 200 OK", "HTTP/1.1 404 Not Found"])
        #expect(answers.components(separatedBy: "hello GET\n").count == 2, "HEAD sent a body: \(answers)")
    }

    /// 200 clients, each sending its request a byte every second from one of 50 addresses, hold
    /// connections but no worker: every health probe is answered as monitoring asks (`curl -f
    /// --max-time 1`), and so are requests for the other workers.
    @Test func probesAreAnsweredWhileTwoHundredSlowClientsAreConnected() throws {
        let fixture = try Fixture { $0.requestDeadline = 120 }
        defer { fixture.server.stop(grace: 0) }
        let directory = TemporaryDirectory()
        let slow = try BackgroundProcess(
            "/usr/bin/env", ["python3", Self.helpers + "/slow-clients.py", String(fixture.port), "200", "50", "1"],
            logDirectory: directory.path)
        #expect(waitUntil(timeout: 30) { slow.stderr.contains("connected 200") } != nil, "\(slow.stderr)")
        for path in Array(repeating: "/health", count: 20) + ["/ok"] {
            let probe = try curl([
                "-f", "--max-time", "1", "-o", "/dev/null", "-w", "%{http_code}",
                "http://127.0.0.1:\(fixture.port)\(path)",
            ])
            #expect(probe.stdout == "200", "\(path): \(probe.stderr)")
        }
        #expect(!slow.stderr.contains("closed"), "a slow client was cut off before its deadline")
    }

    /// A client slower than the request deadline is answered 408 with the error object and cut off.
    @Test func aClientSlowerThanTheDeadlineIsAnswered408() throws {
        let fixture = try Fixture { $0.requestDeadline = 1 }
        defer { fixture.server.stop() }
        let client = try RawClient(port: fixture.port)
        client.send("GET /ok HTTP/1.1\r\nHo")
        let answer = client.readToEnd()
        #expect(answer.hasPrefix("HTTP/1.1 408 Request Timeout\r\n"), "\(answer)")
        #expect(answer.contains(#""code":"request_timeout""#))
        #expect(try curl(["-f", "http://127.0.0.1:\(fixture.port)/ok"]).stdout == "hello GET\n")
    }

    /// One address may hold so many connections; past them it is let in on the connections kept
    /// for probes: a health check is answered, anything else is told so (429) with the error
    /// object. Another address is not limited by it.
    @Test func connectionsPerClientAreLimitedExceptForProbes() throws {
        let fixture = try Fixture { $0.maximumConnectionsPerClient = 4 }
        defer { fixture.server.stop() }
        let held = try (0..<4).map { _ in try RawClient(port: fixture.port) }
        for client in held { client.send("G") }
        let fifth = try RawClient(port: fixture.port)
        fifth.send("GET /ok HTTP/1.1\r\nHost: t\r\n\r\n")
        let answer = fifth.readToEnd()
        #expect(answer.hasPrefix("HTTP/1.1 429 "), "\(answer)")
        #expect(answer.contains(#""code":"too_many_connections_from_client""#))
        for _ in 0..<3 {
            let probe = try RawClient(port: fixture.port)
            probe.send("GET /health HTTP/1.1\r\nHost: t\r\n\r\n")
            let probed = probe.readToEnd()
            #expect(probed.hasPrefix("HTTP/1.1 200 ") && probed.contains("Connection: close\r\n"), "\(probed)")
        }
        let other = try RawClient(port: fixture.port, from: "127.0.0.9")
        other.send("GET /ok HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
        #expect(other.readToEnd().hasPrefix("HTTP/1.1 200 "))
        withExtendedLifetime(held) {}
    }

    /// At the connection limit, the connection idle the longest makes room for a new one; when
    /// every connection is in the middle of a request (and none is kept for probes), the new one
    /// is answered 503.
    @Test func atTheConnectionLimitIdleConnectionsMakeRoom() throws {
        let fixture = try Fixture {
            $0.maximumConnections = 3
            $0.reservedForProbes = 0
        }
        defer { fixture.server.stop() }
        let idle = try (0..<3).map { _ in try RawClient(port: fixture.port) }
        let newcomer = try RawClient(port: fixture.port)
        newcomer.send("GET /ok HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
        #expect(newcomer.readToEnd().hasPrefix("HTTP/1.1 200 "))
        #expect(idle[0].readToEnd() == "", "the longest idle connection was closed")
        // Now three connections each in the middle of a request (the server said 100 Continue).
        let busy = try (0..<3).map { _ in try RawClient(port: fixture.port) }
        for client in busy {
            client.send("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 10\r\nExpect: 100-continue\r\n\r\n")
            #expect(client.readSome().hasPrefix("HTTP/1.1 100 Continue"))
        }
        let refused = try RawClient(port: fixture.port)
        #expect(refused.readToEnd().hasPrefix("HTTP/1.1 503 "))
        withExtendedLifetime(idle) {}
    }

    /// Past the limit, with every connection in the middle of a request, a few more are let in
    /// for probes: a health check is answered (and its connection closed), anything else is
    /// refused 503; slow clients holding them make room, the oldest first, for the next.
    @Test func pastTheConnectionLimitAFewConnectionsAreKeptForProbes() throws {
        let fixture = try Fixture {
            $0.maximumConnections = 3
            $0.reservedForProbes = 2
        }
        defer { fixture.server.stop() }
        let busy = try (0..<3).map { _ in try RawClient(port: fixture.port) }
        for client in busy {
            client.send("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 10\r\nExpect: 100-continue\r\n\r\n")
            #expect(client.readSome().hasPrefix("HTTP/1.1 100 Continue"))
        }
        let api = try RawClient(port: fixture.port)
        api.send("GET /ok HTTP/1.1\r\nHost: t\r\n\r\n")
        let refused = api.readToEnd()
        #expect(refused.hasPrefix("HTTP/1.1 503 ") && refused.contains(#""code":"too_many_connections""#), "\(refused)")
        let probe = try RawClient(port: fixture.port)
        probe.send("GET /health HTTP/1.1\r\nHost: t\r\n\r\n")
        let probed = probe.readToEnd()
        #expect(probed.hasPrefix("HTTP/1.1 200 ") && probed.contains("Connection: close\r\n"), "\(probed)")

        let slow = try (0..<2).map { _ in try RawClient(port: fixture.port) }
        for client in slow { client.send("GET /health HTTP/1.1\r\nHo") }
        for _ in 0..<2 {
            let newcomer = try RawClient(port: fixture.port)
            newcomer.send("GET /health HTTP/1.1\r\nHost: t\r\n\r\n")
            let answer = newcomer.readToEnd()
            #expect(answer.hasPrefix("HTTP/1.1 200 "), "a slow client kept the probes out: \(answer)")
            #expect(answer.contains("Connection: close\r\n"), "not let in for one probe: \(answer)")
        }
        withExtendedLifetime((busy, slow)) {}
    }

    /// A probe refused at once (no connection left for it) gets the handler's refusal for its
    /// path when its request had arrived whole: the daemon's is a health document. The loop's
    /// thread is held (in `lane(for:)`) while the probe connects and sends, so that the request
    /// is there when the connection is taken.
    @Test func aProbeRefusedAtOnceIsAnsweredAsAProbe() throws {
        let entered = DispatchSemaphore(value: 0)
        let release = DispatchSemaphore(value: 0)
        var configuration = HTTPServer.Configuration()
        configuration.maximumConnections = 2
        configuration.reservedForProbes = 0
        let server = try HTTPServer(
            listening: ListenAddress(host: "127.0.0.1", port: 0), configuration: configuration,
            handler: StallingHandler(entered: entered, release: release))
        server.start()
        defer {
            release.signal()
            server.stop(grace: 0)
        }
        let busy = try RawClient(port: server.port)
        busy.send("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 10\r\nExpect: 100-continue\r\n\r\n")
        #expect(busy.readSome().hasPrefix("HTTP/1.1 100 Continue"))
        let stall = try RawClient(port: server.port)
        stall.send("GET /stall HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
        #expect(entered.wait(timeout: .now() + 30) == .success)
        let probe = try RawClient(port: server.port)
        probe.send("GET /health HTTP/1.1\r\nHost: t\r\n\r\n")
        release.signal()  // the loop goes on; /stall waits on a worker for the second signal
        let answer = probe.readToEnd()
        #expect(
            answer.hasPrefix("HTTP/1.1 503 ") && answer.contains("probe refused: too_many_connections"), "\(answer)")
        release.signal()
        #expect(stall.readToEnd().hasPrefix("HTTP/1.1 200 "))
    }

    /// Password checks have workers of their own and a short queue: with the one worker busy and
    /// one check waiting, the next is refused 503 with Retry-After and the error object at once,
    /// and a request for the other workers is answered meanwhile.
    @Test func passwordChecksPastTheirWorkersAndQueueAreRefusedAtOnce() throws {
        let fixture = try Fixture {
            $0.credentialWorkers = 1
            $0.maximumQueuedCredentialChecks = 1
        }
        defer { fixture.server.stop(grace: 0) }
        let signIn = "POST /sign-in HTTP/1.1\r\nHost: t\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}"
        let running = try RawClient(port: fixture.port)
        running.send(signIn)
        #expect(fixture.entered.wait(timeout: .now() + 30) == .success)
        let waiting = try RawClient(port: fixture.port)
        waiting.send(signIn)
        // The loop has read `waiting` (sent first) once it answers a request sent after it.
        #expect(try curl(["-f", "http://127.0.0.1:\(fixture.port)/ok"]).stdout == "hello GET\n")
        let refused = try RawClient(port: fixture.port)
        refused.send(signIn)
        let answer = refused.readToEnd()
        #expect(answer.hasPrefix("HTTP/1.1 503 "), "\(answer)")
        #expect(answer.contains("Retry-After: 1\r\n") && answer.contains(#""code":"busy""#), "\(answer)")
        #expect(try curl(["-f", "http://127.0.0.1:\(fixture.port)/ok"]).stdout == "hello GET\n")
        fixture.release.signal()
        #expect(running.readToEnd().hasPrefix("HTTP/1.1 200 "))
        #expect(fixture.entered.wait(timeout: .now() + 30) == .success)
        fixture.release.signal()
        #expect(waiting.readToEnd().hasPrefix("HTTP/1.1 200 "))
    }

    /// A stop lets the request a worker has finish and be answered, refuses new connections, and
    /// returns once it is answered.
    @Test func stopFinishesTheRequestsInHandAndRefusesNewOnes() throws {
        let fixture = try Fixture()
        let client = try RawClient(port: fixture.port)
        client.send("GET /block HTTP/1.1\r\nHost: t\r\n\r\n")
        #expect(fixture.entered.wait(timeout: .now() + 30) == .success)
        let stopped = DispatchSemaphore(value: 0)
        let stopper = Thread {
            fixture.server.stop(grace: 60)
            stopped.signal()
        }
        stopper.start()
        #expect(waitUntil(timeout: 30) { (try? RawClient(port: fixture.port)) == nil } != nil, "still accepting")
        #expect(stopped.wait(timeout: .now()) == .timedOut, "stopped before the request in hand was answered")
        fixture.release.signal()
        let answer = client.readToEnd()
        #expect(answer.hasPrefix("HTTP/1.1 200 "), "\(answer)")
        #expect(answer.contains("Connection: close\r\n"))
        #expect(stopped.wait(timeout: .now() + 30) == .success)
    }

    /// 10,000 malformed and hostile requests: each is answered 4xx or 5xx with the error object
    /// (or closed, for bytes that are not HTTP at all), and the server serves on.
    @Test func fuzzedRequestsGetTheErrorObjectAndTheServerServesOn() throws {
        let fixture = try Fixture()
        defer { fixture.server.stop() }
        let result = try ProcessRunner.run(
            "/usr/bin/env", ["python3", Self.helpers + "/http-client.py", "fuzz", String(fixture.port), "10000", "7"])
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        #expect(result.stdout == "ok 10000\n")
        #expect(try curl(["-f", "http://127.0.0.1:\(fixture.port)/ok"]).stdout == "hello GET\n")
    }
}

/// A TCP client on 127.0.0.1 that sends and reads when told.
/// `/health` on the probe lane, refused with a text of its own; `/stall` holds the loop's thread in
/// `lane(for:)` until `release` is signalled, then a worker until it is signalled again.
private struct StallingHandler: HTTPHandler {
    let entered: DispatchSemaphore
    let release: DispatchSemaphore

    func lane(for head: HTTPRequestHead) -> HTTPLane {
        if head.path == "/stall" {
            entered.signal()
            release.wait()
        }
        return head.path == "/health" ? .probe : .work
    }

    func respond(to request: HTTPRequest) -> HTTPResponse {
        if request.path == "/stall" { release.wait() }
        return HTTPResponse(status: 200, body: "ok\n")
    }

    func refusal(_ refusal: HTTPRefusal, for head: HTTPRequestHead?) -> HTTPResponse {
        head?.path == "/health"
            ? HTTPResponse(status: refusal.status, body: "probe refused: \(refusal.code)\n")
            : HTTPResponse.error(refusal)
    }
}

private final class RawClient: Sendable {
    let descriptor: Int32

    init(port: Int, from source: String? = nil) throws {
        descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        if let source {
            var local = sockaddr_in()
            local.sin_family = sa_family_t(AF_INET)
            local.sin_addr.s_addr = inet_addr(source)
            _ = withUnsafePointer(to: &local) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
        }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard connected == 0 else {
            close(descriptor)
            throw HTTPServerError(message: "cannot connect")
        }
        var timeout = timeval(tv_sec: 30, tv_usec: 0)
        setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    }

    deinit { close(descriptor) }

    func send(_ text: String) {
        let bytes = Array(text.utf8)
        _ = bytes.withUnsafeBytes { Glibc.send(descriptor, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
    }

    /// What one read returns (at most 30 s).
    func readSome() -> String {
        var buffer = [UInt8](repeating: 0, count: 65536)
        let count = read(descriptor, &buffer, buffer.count)
        return count > 0 ? String(decoding: buffer[0..<count], as: UTF8.self) : ""
    }

    /// Everything until the server closes (at most 30 s without a byte).
    func readToEnd() -> String {
        var received = [UInt8]()
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = read(descriptor, &buffer, buffer.count)
            guard count > 0 else { break }
            received += buffer[0..<count]
        }
        return String(decoding: received, as: UTF8.self)
    }
}
