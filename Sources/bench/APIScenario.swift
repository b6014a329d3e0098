import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// `api`: sales per second over HTTP (`POST /v1/sales` to `venue-syncd --listen`), 1 and 16
/// clients each on one kept-alive connection, against the same sales made in process by as many
/// processes (``ContentionScenario``) in the same run, with each sale's wait.
enum APIScenario {
    static func run(quick: Bool, directory: String) throws -> [Figure] {
        let duration = quick ? 0.5 : 5
        var figures = [Figure]()
        for clients in quick ? [4] : [1, 16] {
            let inProcess = try ContentionScenario.race(
                clients, duration: duration,
                ["--db", try BenchNode(in: directory, name: "api-process-\(clients)").path])
            let node = try BenchNode(in: directory, name: "api-http-\(clients)")
            let (rate, waits) = try overHTTP(node: node, clients: clients, duration: duration)
            try node.checkInvariants()
            let sold =
                try node.node.inventory.availability(eventID: "BENCH").categories.first { $0.code == "GA" }?.sold ?? 0
            guard sold == waits.count else { throw BenchError("sold \(sold), HTTP clients counted \(waits.count)") }
            figures += [
                Figure(
                    name: "\(clients) HTTP client(s) selling, kept alive", unit: "sales/s", value: rate,
                    baseline: inProcess.rate, baselineName: "\(clients) process(es) in process",
                    target: clients == 16 ? 0.7 : nil),
                Figure(
                    name: "  p99 wait per sale over HTTP", unit: "ms", value: percentile(waits, 99) * 1000,
                    baseline: percentile(inProcess.waits, 99) * 1000,
                    baselineName: "in process (HTTP p50 \(Figure.number(percentile(waits, 50) * 1000)))",
                    target: nil, lowerIsBetter: true, limit: clients == 16 ? 20 : nil),
            ]
        }
        return figures
    }

    /// `venue-syncd --listen` on `node` (central unreachable: the node sells on its own) and
    /// `clients` threads selling one ticket at a time for `duration` seconds, each on a connection
    /// of its own: the rate and every sale's wait.
    static func overHTTP(node: BenchNode, clients: Int, duration: Double) throws -> (rate: Double, waits: [Double]) {
        let port = try freePort()
        let daemon = try DaemonScenario.startDaemon(
            node.path, ["--listen", "127.0.0.1:\(port)", "--interval", "1s", "--max-backoff", "30s"],
            ["CENTRAL_URL": "mysql://venue_app@127.0.0.1:1/central", "CENTRAL_PASSWORD": "unused"])
        defer {
            daemon.terminate()
            daemon.waitUntilExit()
        }
        var token: String?
        let giveUpAt = uptimeSeconds() + 30
        while token == nil, uptimeSeconds() < giveUpAt {
            token = try? HTTPClient(port: port).signIn(name: "root", password: "bench-password")
            if token == nil { usleep(50_000) }
        }
        guard let token else { throw BenchError("venue-syncd did not answer on port \(port)") }
        let startAt = uptimeSeconds() + 0.2
        let results = Array(repeating: [Double](), count: clients)
        let shared = HTTPResults(results)
        let group = DispatchGroup()
        for index in 0..<clients {
            group.enter()
            let thread = Thread {
                defer { group.leave() }
                do {
                    let client = try HTTPClient(port: port)
                    usleep(UInt32(max(0, startAt - uptimeSeconds()) * 1_000_000))
                    var waits = [Double]()
                    var sale = 0
                    while uptimeSeconds() < startAt + duration {
                        sale += 1
                        let began = uptimeSeconds()
                        let status = try client.sell(token: token, key: "bench-\(index)-\(sale)-\(getpid())")
                        guard status == 201 else { throw BenchError("a sale over HTTP answered \(status)") }
                        waits.append(uptimeSeconds() - began)
                    }
                    shared.set(index, waits)
                } catch {
                    shared.fail("\(error)")
                }
            }
            thread.start()
        }
        group.wait()
        if let failure = shared.failure { throw BenchError(failure) }
        let waits = shared.all.flatMap { $0 }
        return (Double(waits.count) / duration, waits)
    }

    static func freePort() throws -> Int {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(descriptor) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(descriptor, $0, length) == 0 && getsockname(descriptor, $0, &length) == 0
            }
        }
        guard bound else { throw BenchError("no free port") }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}

/// A client on one kept-alive connection to 127.0.0.1, speaking just the HTTP/1.1 the benchmark
/// needs (a body by `Content-Length`), so that what is timed is the node, not the client.
private final class HTTPClient {
    private let descriptor: Int32
    private var buffer = [UInt8]()

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
        guard connected == 0 else {
            close(descriptor)
            throw BenchError("cannot connect to port \(port)")
        }
        var on: Int32 = 1
        setsockopt(descriptor, Int32(IPPROTO_TCP), TCP_NODELAY, &on, socklen_t(MemoryLayout<Int32>.size))
    }

    deinit { close(descriptor) }

    func signIn(name: String, password: String) throws -> String {
        let (status, body) = try request(
            "POST", "/v1/sessions", body: #"{"name":"\#(name)","password":"\#(password)"}"#)
        guard status == 201,
            let token = (try JSONSerialization.jsonObject(with: Data(body)) as? [String: Any])?["token"] as? String
        else { throw BenchError("sign-in answered \(status)") }
        return token
    }

    func sell(token: String, key: String) throws -> Int {
        try request(
            "POST", "/v1/sales",
            body: #"{"event":"BENCH","category":"GA","quantity":1,"payment":{"method":"cash"}}"#,
            headers: "Authorization: Bearer \(token)\r\nIdempotency-Key: \(key)\r\n"
        ).status
    }

    private func request(_ method: String, _ path: String, body: String, headers: String = "") throws
        -> (status: Int, body: [UInt8])
    {
        let bytes = Array(
            ("\(method) \(path) HTTP/1.1\r\nHost: bench\r\nContent-Type: application/json\r\n\(headers)"
                + "Content-Length: \(body.utf8.count)\r\n\r\n\(body)").utf8)
        var sent = 0
        while sent < bytes.count {
            let count = bytes[sent...].withUnsafeBytes {
                send(descriptor, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL))
            }
            guard count > 0 else { throw BenchError("the connection closed while sending") }
            sent += count
        }
        while true {
            if let end = headEnd(), let (status, length) = parseHead(end) {
                let total = end + 4 + length
                while buffer.count < total { try receive() }
                let body = Array(buffer[(end + 4)..<total])
                buffer.removeFirst(total)
                return (status, body)
            }
            try receive()
        }
    }

    private func receive() throws {
        var chunk = [UInt8](repeating: 0, count: 16384)
        let count = read(descriptor, &chunk, chunk.count)
        guard count > 0 else { throw BenchError("the connection closed while reading") }
        buffer += chunk[0..<count]
    }

    private func headEnd() -> Int? {
        guard buffer.count >= 4 else { return nil }
        for index in 0...(buffer.count - 4)
        where buffer[index] == 13 && buffer[index + 1] == 10 && buffer[index + 2] == 13 && buffer[index + 3] == 10 {
            return index
        }
        return nil
    }

    private func parseHead(_ end: Int) -> (status: Int, length: Int)? {
        let head = String(decoding: buffer[0..<end], as: UTF8.self)
        let lines = head.split(separator: "\r\n")
        guard let status = lines.first?.split(separator: " ").dropFirst().first.flatMap({ Int($0) }) else { return nil }
        let length =
            lines.dropFirst().first { $0.lowercased().hasPrefix("content-length:") }
            .flatMap { Int($0.dropFirst("content-length:".count).trimmingCharacters(in: .whitespaces)) } ?? 0
        return (status, length)
    }
}

/// The clients' waits, filled in from their threads.
private final class HTTPResults: @unchecked Sendable {  // everything behind `lock`
    private let lock = NSLock()
    private var values: [[Double]]
    private var firstFailure: String?

    init(_ values: [[Double]]) { self.values = values }

    func set(_ index: Int, _ waits: [Double]) { lock.withLock { values[index] = waits } }
    func fail(_ failure: String) { lock.withLock { firstFailure = firstFailure ?? failure } }
    var all: [[Double]] { lock.withLock { values } }
    var failure: String? { lock.withLock { firstFailure } }
}
