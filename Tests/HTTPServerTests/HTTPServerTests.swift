import Foundation
import TestSupport
import Testing

@testable import HTTPServer

#if canImport(Glibc)
    import Glibc
#endif

@Suite struct HTTPServerTests {
    @Test func parsesRequestLinesAndHeaders() {
        let request = HTTPServer.parse(Array("GET /health?x=1 HTTP/1.1\r\nHost: a\r\nX-Thing:  b \r\n\r\n".utf8))
        #expect(request == HTTPRequest(method: "GET", path: "/health", headers: ["host": "a", "x-thing": "b"]))
        for bad in [
            "GET /health HTTP/1.1\r\n", "GET health HTTP/1.1\r\n\r\n", "GET / SPDY/3\r\n\r\n", "GET /\r\n\r\n",
            "GET / HTTP/1.1\r\nno colon\r\n\r\n",
        ] {
            #expect(HTTPServer.parse(Array(bad.utf8)) == nil, "\(bad)")
        }
    }

    @Test func servesGetAndHeadAndRefusesOtherMethods() throws {
        let server = try HTTPServer(host: "127.0.0.1", port: 0) { request in
            HTTPResponse(status: request.path == "/ok" ? 200 : 404, body: "hello\n")
        }
        server.start()
        defer { server.stop() }
        #expect(Network.get(port: server.port, path: "/ok")?.status == 200)
        #expect(Network.get(port: server.port, path: "/ok")?.body == "hello\n")
        #expect(Network.get(port: server.port, path: "/ok", method: "HEAD")?.body == "")
        #expect(Network.get(port: server.port, path: "/other")?.status == 404)
        #expect(Network.get(port: server.port, path: "/ok", method: "DELETE")?.status == 405)
        #expect(throws: HTTPServerError.self) {
            try HTTPServer(host: "127.0.0.1", port: server.port) { _ in HTTPResponse(status: 200, body: "") }
        }
        #expect(throws: HTTPServerError.self) {
            try HTTPServer(host: "localhost", port: 0) { _ in HTTPResponse(status: 200, body: "") }
        }
    }

    /// A client that sends its request a byte every 1.5 s holds neither itself past the 2 s header
    /// deadline nor anybody else: a scrape in the meantime is answered at once.
    @Test func aSlowClientHoldsNobodyAndIsCutOffAtTheDeadline() throws {
        let server = try HTTPServer(host: "127.0.0.1", port: 0) { _ in HTTPResponse(status: 200, body: "ok\n") }
        server.start()
        defer { server.stop() }
        let slow = try SlowClient(port: server.port)
        let started = Date()
        let answered = DispatchSemaphore(value: 0)
        let trickle = Thread {
            for byte in Array("GET /health HTTP/1.1\r\n\r\n".utf8) {
                guard slow.send(byte) else { break }
                Thread.sleep(forTimeInterval: 1.5)
            }
            answered.signal()
        }
        trickle.start()
        Thread.sleep(forTimeInterval: 0.2)
        for _ in 0..<3 {
            let scrape = Date()
            #expect(Network.get(port: server.port, path: "/health")?.status == 200)
            #expect(Date().timeIntervalSince(scrape) < 1, "a scrape waited behind the slow client")
        }
        let reply = slow.readAll()
        #expect(reply.hasPrefix("HTTP/1.1 408 "), "\(reply)")
        #expect(
            Date().timeIntervalSince(started) < 3.5, "the slow client was held \(Date().timeIntervalSince(started)) s")
        _ = answered.wait(timeout: .now() + 60)
    }

    /// More slow clients than the listener serves at once: the extra connection is told 503 at once.
    @Test func connectionsBeyondTheLimitAreRefusedAtOnce() throws {
        let server = try HTTPServer(host: "127.0.0.1", port: 0) { _ in HTTPResponse(status: 200, body: "ok\n") }
        server.start()
        defer { server.stop() }
        let holders = try (0..<HTTPServer.maximumConnections).map { _ in try SlowClient(port: server.port) }
        Thread.sleep(forTimeInterval: 0.3)
        let refused = Date()
        #expect(Network.get(port: server.port, path: "/health")?.status == 503)
        #expect(Date().timeIntervalSince(refused) < 1)
        for holder in holders { _ = holder.readAll() }
        #expect(Network.get(port: server.port, path: "/health")?.status == 200)
    }
}

/// A raw TCP client that sends when told.
private final class SlowClient: @unchecked Sendable {  // one thread sends, another reads at the end
    let descriptor: Int32

    init(port: Int) throws {
        descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard connected == 0 else { throw HTTPServerError(message: "cannot connect") }
    }

    deinit { close(descriptor) }

    func send(_ byte: UInt8) -> Bool {
        var value = byte
        return Glibc.send(descriptor, &value, 1, Int32(MSG_NOSIGNAL)) == 1
    }

    /// Everything until the server closes (at most 10 s).
    func readAll() -> String {
        var timeout = timeval(tv_sec: 10, tv_usec: 0)
        setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var received = [UInt8]()
        var buffer = [UInt8](repeating: 0, count: 1024)
        while true {
            let count = read(descriptor, &buffer, buffer.count)
            guard count > 0 else { break }
            received += buffer[0..<count]
        }
        return String(decoding: received, as: UTF8.self)
    }
}
