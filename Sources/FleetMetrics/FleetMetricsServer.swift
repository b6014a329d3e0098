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
    /// The kept connection, used by one scrape at a time (Prometheus scrapes one at a time anyway).
    private let connection = Mutex<MySQLConnection?>(nil)

    public init(
        configuration: MySQLConfiguration, silenceSeconds: Int64, onError: @escaping @Sendable (String) -> Void
    ) {
        self.configuration = configuration
        self.silenceSeconds = silenceSeconds
        self.onError = onError
    }

    /// The text of one scrape.
    public func scrape() -> String {
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

    /// `/metrics` (and `/`, a line pointing at it) on the probe lane, so a scrape never waits
    /// behind anything.
    struct Handler: HTTPHandler {
        let metrics: FleetMetricsServer

        func lane(for head: HTTPRequestHead) -> HTTPLane { .probe }

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
