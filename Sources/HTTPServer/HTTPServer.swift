import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A request as the listener understood it.
public struct HTTPRequest: Sendable, Equatable {
    public let method: String
    /// The path without the query string.
    public let path: String
    public let headers: [String: String]
}

/// What the handler answers.
public struct HTTPResponse: Sendable, Equatable {
    public var status: Int
    public var contentType: String
    public var body: String

    public init(status: Int, contentType: String = "text/plain; charset=utf-8", body: String) {
        self.status = status
        self.contentType = contentType
        self.body = body
    }
}

/// A minimal HTTP/1.1 listener for health checks and metrics scrapes: one request per connection
/// (`Connection: close`), GET and HEAD only, 8 KB of headers at most, 2 s in all to send them
/// (408 after that, however the bytes trickle in). Up to ``maximumConnections`` connections are
/// served at once, each on a thread of its own, so a slow client holds nobody else; one more is
/// answered 503 at once. Binding happens in `init`, so a busy port is reported at start-up.
// @unchecked: the socket is only read by the accept thread; `stopped` is guarded by the lock.
public final class HTTPServer: @unchecked Sendable {
    /// Connections served at once; one more is answered 503 at once.
    public static let maximumConnections = 16
    /// The port actually bound (useful when asked for port 0).
    public let port: Int
    private let socketDescriptor: Int32
    private let handler: @Sendable (HTTPRequest) -> HTTPResponse
    private let lock = NSLock()
    private var stopped = false
    private var thread: Thread?
    private let slots = DispatchSemaphore(value: HTTPServer.maximumConnections)
    /// The whole request head must arrive within this.
    static let headerDeadline = 2.0

    /// Binds `host:port` (IPv4 literal such as `127.0.0.1`).
    public init(host: String, port: Int, handler: @escaping @Sendable (HTTPRequest) -> HTTPResponse) throws {
        self.handler = handler
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else {
            throw HTTPServerError(message: "cannot create a socket: \(String(cString: strerror(errno)))")
        }
        var reuse: Int32 = 1
        setsockopt(descriptor, SOL_SOCKET, SO_REUSEADDR, &reuse, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        guard inet_pton(AF_INET, host, &address.sin_addr) == 1 else {
            close(descriptor)
            throw HTTPServerError(message: "'\(host)' is not an IPv4 address")
        }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard bound == 0, listen(descriptor, 16) == 0 else {
            let reason = String(cString: strerror(errno))
            close(descriptor)
            throw HTTPServerError(message: "cannot listen on \(host):\(port): \(reason)")
        }
        var actual = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &actual) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(descriptor, $0, &length) }
        }
        self.port = Int(UInt16(bigEndian: actual.sin_port))
        socketDescriptor = descriptor
    }

    deinit { close(socketDescriptor) }

    /// Starts answering on a thread of its own.
    public func start() {
        let thread = Thread { [self] in acceptLoop() }
        thread.name = "http"
        self.thread = thread
        thread.start()
    }

    /// Stops accepting; the thread ends within 200 ms.
    public func stop() { lock.withLock { stopped = true } }

    private var isStopped: Bool { lock.withLock { stopped } }

    private func acceptLoop() {
        while !isStopped {
            var poller = pollfd(fd: socketDescriptor, events: Int16(POLLIN), revents: 0)
            guard poll(&poller, 1, 200) > 0 else { continue }
            let client = accept(socketDescriptor, nil, nil)
            guard client >= 0 else { continue }
            var timeout = timeval(tv_sec: 2, tv_usec: 0)
            setsockopt(client, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
            guard slots.wait(timeout: .now()) == .success else {
                Self.reply(HTTPResponse(status: 503, body: "busy: too many connections\n"), method: "GET", to: client)
                close(client)
                continue
            }
            // A thread of its own, not a dispatch queue: a queue's pool grows with the cores, not
            // with connections blocked on slow clients.
            let worker = Thread { [self] in
                serve(client)
                close(client)
                slots.signal()
            }
            worker.name = "http.connection"
            worker.start()
        }
    }

    private func serve(_ client: Int32) {
        let deadline = Date().addingTimeInterval(Self.headerDeadline)
        var received = [UInt8]()
        var buffer = [UInt8](repeating: 0, count: 2048)
        var timedOut = false
        while received.count < 8192, !Self.containsHeaderEnd(received) {
            let remaining = Int32((deadline.timeIntervalSinceNow * 1000).rounded(.up))
            var poller = pollfd(fd: client, events: Int16(POLLIN), revents: 0)
            guard remaining > 0, poll(&poller, 1, remaining) > 0 else {
                timedOut = true
                break
            }
            let count = read(client, &buffer, buffer.count)
            guard count > 0 else { break }
            received += buffer[0..<count]
        }
        let response: HTTPResponse
        var method = "GET"
        if timedOut {
            response = HTTPResponse(status: 408, body: "request timeout: send the request within 2 s\n")
        } else if let request = Self.parse(received) {
            method = request.method
            response =
                ["GET", "HEAD"].contains(request.method)
                ? handler(request) : HTTPResponse(status: 405, body: "method not allowed\n")
        } else {
            response = HTTPResponse(status: 400, body: "bad request\n")
        }
        Self.reply(response, method: method, to: client)
    }

    private static func reply(_ response: HTTPResponse, method: String, to client: Int32) {
        let body = Array(response.body.utf8)
        var head = "HTTP/1.1 \(response.status) \(Self.reason(response.status))\r\n"
        head += "Content-Type: \(response.contentType)\r\nContent-Length: \(body.count)\r\nConnection: close\r\n"
        if response.status == 405 { head += "Allow: GET, HEAD\r\n" }
        head += "\r\n"
        let bytes = Array(head.utf8) + (method == "HEAD" ? [] : body)
        var sent = 0
        while sent < bytes.count {
            let count = bytes[sent...].withUnsafeBytes { send(client, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard count > 0 else { break }
            sent += count
        }
    }

    static func containsHeaderEnd(_ bytes: [UInt8]) -> Bool {
        bytes.count >= 4
            && (0...(bytes.count - 4)).contains {
                bytes[$0] == 13 && bytes[$0 + 1] == 10 && bytes[$0 + 2] == 13 && bytes[$0 + 3] == 10
            }
    }

    /// Parses the request line and headers; nil when malformed.
    static func parse(_ bytes: [UInt8]) -> HTTPRequest? {
        guard containsHeaderEnd(bytes), let text = String(bytes: bytes, encoding: .utf8) else { return nil }
        var lines = text.components(separatedBy: "\r\n")
        let requestLine = lines.removeFirst().split(separator: " ")
        guard requestLine.count == 3, requestLine[2].hasPrefix("HTTP/1."), requestLine[1].hasPrefix("/") else {
            return nil
        }
        var headers = [String: String]()
        for line in lines where !line.isEmpty {
            guard let colon = line.firstIndex(of: ":") else { return nil }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(
                in: .whitespaces)
        }
        let target = String(requestLine[1])
        return HTTPRequest(
            method: String(requestLine[0]), path: String(target.split(separator: "?", maxSplits: 1).first ?? ""),
            headers: headers)
    }

    static func reason(_ status: Int) -> String {
        switch status {
        case 200: "OK"
        case 400: "Bad Request"
        case 404: "Not Found"
        case 405: "Method Not Allowed"
        case 408: "Request Timeout"
        case 503: "Service Unavailable"
        default: "Status"
        }
    }
}

/// The listener could not start.
public struct HTTPServerError: Error, CustomStringConvertible {
    public let message: String
    public var description: String { message }
}
