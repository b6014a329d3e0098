import Dispatch
import HTTPServer
import MySQLClient
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// Serves the fleet's metrics for Prometheus: `GET /metrics` reads central afresh each scrape
/// (``FleetSnapshot``), so what it shows is never older than the scrape, and answers
/// `venue_central_up 0` when central cannot be read. One connection is kept between scrapes
/// and dropped on any error, so the next scrape connects again (central restarted, failed over);
/// with a cluster's members in the URL, a kept member found read-only is left for a writable one
/// as a node's connection is, so "central read-only" means no member takes writes.
public final class FleetMetricsServer: Sendable {
    let configuration: MySQLConfiguration
    let silenceSeconds: Int64
    /// Told each time central could not be read, with why (a log line).
    let onError: @Sendable (String) -> Void
    /// The kept connection, used by one reading at a time.
    private let connection = Mutex<MySQLConnection?>(nil)
    /// The reading of central under way, which scrapes arriving meanwhile wait for and share.
    private let reading = Mutex<Reading?>(nil)

    /// One reading of central and the scrapes waiting for its text.
    private final class Reading: Sendable {
        let done = DispatchGroup()
        let text = Mutex("")
        init() { done.enter() }
    }

    public init(
        configuration: MySQLConfiguration, silenceSeconds: Int64, onError: @escaping @Sendable (String) -> Void
    ) {
        self.configuration = configuration
        self.silenceSeconds = silenceSeconds
        self.onError = onError
    }

    /// The text of one scrape. A scrape that arrives while central is being read answers that
    /// reading's text when it ends, rather than queue for a reading of its own: against a central
    /// that stopped answering, each reading costs the client's timeout (5 s), and two Prometheus
    /// servers (or an engineer's curl beside one) would otherwise wait for each other's until
    /// their scrapes time out and nothing, not even `venue_central_up 0`, is stored.
    public func scrape() -> String {
        let (current, leads) = reading.withLock { reading -> (Reading, Bool) in
            if let reading { return (reading, false) }
            let started = Reading()
            reading = started
            return (started, true)
        }
        if leads {
            let text = read()
            current.text.withLock { $0 = text }
            reading.withLock { $0 = nil }
            current.done.leave()
            return text
        }
        current.done.wait()
        return current.text.withLock { $0 }
    }

    /// Reads central on the kept connection (connecting again when there is none).
    private func read() -> String {
        connection.withLock { connection in
            do {
                let kept = connection
                var live = try kept ?? MySQLConnection(configuration)
                connection = live
                var snapshot = try FleetSnapshot.read(live, silenceSeconds: silenceSeconds)
                // The kept member turned read-only while another may be writable (the nodes have
                // moved there): connect afresh, which prefers a writable member, so central reads
                // read-only only when no member is writable.
                if snapshot.readOnly, kept != nil, configuration.members.count > 1 {
                    connection = nil
                    live = try MySQLConnection(configuration, startingWith: configuration.member(after: live.member))
                    connection = live
                    snapshot = try FleetSnapshot.read(live, silenceSeconds: silenceSeconds)
                }
                return FleetExposition.text(snapshot)
            } catch {
                connection = nil
                onError(String(describing: error))
                return FleetExposition.text(nil)
            }
        }
    }

    /// Listens on `address` and serves until SIGTERM or SIGINT; `started` is told the address
    /// bound (port 0 asks for a free one).
    public func serve(on address: ListenAddress, started: (ListenAddress) -> Void) throws {
        let server = try HTTPServer(listening: address, handler: Handler(metrics: self))
        let stop = DispatchSemaphore(value: 0)
        let sources = [SIGTERM, SIGINT].map { number in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { stop.signal() }
            source.resume()
            return source
        }
        server.start()
        started(server.address)
        stop.wait()
        server.stop()
        for source in sources { source.cancel() }
    }

    /// `/metrics` (and `/`, a line pointing at it) on the server's main lane: a scrape waiting
    /// for the reading under way holds a worker, and the probe lane's two would leave a third
    /// scrape arriving meanwhile queued behind them, to lead a reading of its own 5 s later.
    struct Handler: HTTPHandler {
        let metrics: FleetMetricsServer

        func lane(for head: HTTPRequestHead) -> HTTPLane { .work }

        func respond(to request: HTTPRequest) -> HTTPResponse {
            guard request.method == "GET" || request.method == "HEAD" else {
                var response = HTTPResponse.error(
                    HTTPRefusal(
                        status: 405, code: "method_not_allowed", message: "\(request.path) answers GET and HEAD"))
                response.headers.add("Allow", "GET, HEAD")
                return response
            }
            switch request.path {
            case "/metrics":
                return HTTPResponse(status: 200, contentType: MetricsText.contentType, body: metrics.scrape())
            case "/":
                return HTTPResponse(
                    status: 200, contentType: "text/plain; charset=utf-8",
                    body: "central metrics: the fleet as central sees it, for Prometheus, at /metrics\n")
            default:
                return HTTPResponse.error(
                    HTTPRefusal(status: 404, code: "not_found", message: "no such path: \(request.path); try /metrics"))
            }
        }
    }
}
