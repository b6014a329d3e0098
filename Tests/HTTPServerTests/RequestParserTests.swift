import Testing

@testable import HTTPServer

/// The request reader, fed the bytes a client sends, whole and a byte at a time.
@Suite struct RequestParserTests {
    private func parse(_ text: String, maximumBody: Int = 1000, maximumHeader: Int = 1000) -> RequestParser.Step {
        var parser = RequestParser(maximumHeaderBytes: maximumHeader, maximumBodyBytes: maximumBody, peer: "192.0.2.1")
        return parser.parse(Array(text.utf8))
    }

    private func status(_ text: String) -> Int? {
        if case .refused(let refusal) = parse(text) { return refusal.status }
        return nil
    }

    @Test func readsTheRequestLineHeadersAndQuery() throws {
        let text = "GET /health?x=1 HTTP/1.1\r\nHost: a\r\nX-Thing:  b \r\n\r\nrest"
        guard case .request(let request, let consumed) = parse(text) else {
            Issue.record("not read")
            return
        }
        #expect(consumed == text.utf8.count - 4)
        #expect(request.method == "GET")
        #expect(request.path == "/health")
        #expect(request.head.query == "x=1")
        #expect(request.headers["host"] == "a")
        #expect(request.headers["X-THING"] == "b")
        #expect(request.peer == "192.0.2.1")
        #expect(request.head.keepsAlive)
    }

    @Test func refusesWhatTwoParsersCouldReadDifferently() {
        let head = "POST /sell HTTP/1.1\r\nHost: a\r\n"
        let cases: [(String, Int)] = [
            (head + "Content-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400),
            (head + "Content-Length: 3\r\nContent-Length: 4\r\n\r\nabcd", 400),
            (head + "Content-Length: +3\r\n\r\nabc", 400),
            (head + "Content-Length: 3 3\r\n\r\nabc", 400),
            (head + "Transfer-Encoding: gzip, chunked\r\n\r\n", 501),
            (head + "Host : b\r\n\r\n", 400),
            (head + "X-A: 1\r\n folded\r\n\r\n", 400),
            ("GET / HTTP/1.1\nHost: a\n\n", 400),
            ("GET / HTTP/1.1\r\n\r\n", 400),
            ("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400),
            ("GET / HTTP/2.0\r\nHost: a\r\n\r\n", 505),
            ("GET / SPDY/3\r\nHost: a\r\n\r\n", 400),
            ("GET health HTTP/1.1\r\nHost: a\r\n\r\n", 400),
            ("GET  / HTTP/1.1\r\nHost: a\r\n\r\n", 400),
            ("G\u{1}T / HTTP/1.1\r\nHost: a\r\n\r\n", 400),
            ("GET / HTTP/1.1\r\nHost: a\u{7}\r\n\r\n", 400),
            ("GET / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n", 400),
        ]
        for (text, expected) in cases { #expect(status(text) == expected, "\(text.debugDescription)") }
    }

    @Test func refusesWhatIsTooLarge() {
        #expect(status("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1001\r\n\r\n") == 413)
        #expect(status("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 99999999999999999999\r\n\r\n") == 400)
        #expect(status("GET / HTTP/1.1\r\nHost: a\r\nX: \(String(repeating: "y", count: 1100))\r\n\r\n") == 431)
        #expect(status("GET / HTTP/1.1\r\nHost: a\r\nX: \(String(repeating: "y", count: 1100))") == 431)
        let fields = (0..<101).map { "X-\($0): v\r\n" }.joined()
        #expect(
            {
                var parser = RequestParser(maximumHeaderBytes: 10_000, maximumBodyBytes: 10, peer: "")
                if case .refused(let refusal) = parser.parse(Array("GET / HTTP/1.1\r\nHost: a\r\n\(fields)\r\n".utf8)) {
                    return refusal.status
                }
                return nil
            }() == 431)
        #expect(status("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3E9\r\n") == 413)
    }

    @Test func decodesChunkedBodiesWithExtensionsAndTrailers() throws {
        let text =
            "POST /x HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
            + "4;name=value\r\nWiki\r\n5\r\npedia\r\nE\r\n in\r\n\r\nchunks.\r\n0\r\nExpires: never\r\n\r\nNEXT"
        guard case .request(let request, let consumed) = parse(text) else {
            Issue.record("not read")
            return
        }
        #expect(String(decoding: request.body, as: UTF8.self) == "Wikipedia in\r\n\r\nchunks.")
        #expect(consumed == text.utf8.count - 4)
        #expect(status("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n") == 400)
        #expect(status("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcXY") == 400)
        #expect(status("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nFFFFFFFFF\r\n") == 400)
    }

    /// Bytes arriving one at a time give the same requests as arriving at once, pipelined ones
    /// included, with nothing read twice.
    @Test func readsRequestsAByteAtATime() throws {
        let text =
            "POST /a HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello"
            + "POST /b HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nExpect: 100-continue\r\n\r\n2\r\nhi\r\n0\r\n\r\n"
            + "GET /c HTTP/1.0\r\n\r\n"
        var parser = RequestParser(maximumHeaderBytes: 1000, maximumBodyBytes: 1000, peer: "")
        var buffer = [UInt8]()
        var read = [(String, String)]()
        var continues = 0
        for byte in Array(text.utf8) {
            buffer.append(byte)
            while true {
                let step = parser.parse(buffer)
                guard case .request(let request, let consumed) = step else {
                    if case .refused(let refusal) = step { Issue.record("refused: \(refusal)") }
                    if parser.wantsContinue { continues += 1 }
                    break
                }
                read.append((String(request.path), String(decoding: request.body, as: UTF8.self)))
                buffer.removeFirst(consumed)
                parser.reset()
            }
        }
        #expect(read.map(\.0) == ["/a", "/b", "/c"])
        #expect(read.map(\.1) == ["hello", "hi", ""])
        #expect(buffer.isEmpty)
        #expect(continues > 0)
    }

    @Test func keepAliveFollowsTheVersionAndConnectionField() {
        func keepsAlive(_ text: String) -> Bool? {
            if case .request(let request, _) = parse(text) { return request.head.keepsAlive }
            return nil
        }
        #expect(keepsAlive("GET / HTTP/1.1\r\nHost: a\r\n\r\n") == true)
        #expect(keepsAlive("GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n") == false)
        #expect(keepsAlive("GET / HTTP/1.0\r\n\r\n") == false)
        #expect(keepsAlive("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n") == true)
    }

    @Test func listenAddressesAreReadAsOperatorsWriteThem() {
        #expect(ListenAddress("127.0.0.1:9464") == ListenAddress(host: "127.0.0.1", port: 9464))
        #expect(ListenAddress("[::1]:80") == ListenAddress(host: "::1", port: 80))
        #expect(ListenAddress("localhost:0")?.isLoopback == true)
        #expect(ListenAddress("0.0.0.0:8080")?.isLoopback == false)
        for bad in ["127.0.0.1", ":80", "::1:80", "[::1]", "host:99999", "host:-1", "a b:80", "[]:80", "[1.2.3.4]:80"] {
            #expect(ListenAddress(bad) == nil, "\(bad)")
        }
        #expect(ListenAddress.isLoopback(address: "127.9.9.9"))
        #expect(ListenAddress.isLoopback(address: "::ffff:127.0.0.1"))
        #expect(!ListenAddress.isLoopback(address: "192.168.1.5"))
        #expect(!ListenAddress.isLoopback(address: "::2"))
    }
}
