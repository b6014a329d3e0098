import TestSupport
import Testing

@testable import HTTPServer

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
}
