import Foundation
import HTTPServer
import SyncWire
import Synchronization
import Ticketing

#if canImport(Glibc)
    import Glibc
#endif

/// Who sees the details of health components (Spring Boot's `management.endpoint.health.show-details`):
/// a component's details name the node, its files and central's last error, which are for the
/// people running it; its status is for anyone.
public enum HealthDetailsVisibility: String, Sendable, CaseIterable {
    /// Clients on this machine (loopback), directly or through a trusted proxy.
    case loopback
    case always
    case never
}

/// The health, metrics and index paths of the daemon's listener, in Spring Boot Actuator's and
/// Kubernetes' names, each answered from a fresh read of the node database (any number of
/// worker threads may call it); whether a writer gets through, from ``WritersQueueWatch``.
final class HealthEndpoints: Sendable {
    let databasePath: String
    let nodeOptions: NodeOptions
    let minimumFreeBytes: Int64
    let metrics: DaemonMetrics
    let heartbeat: LoopHeartbeat
    let visibility: HealthDetailsVisibility
    let clients: ClientAddresses
    let writers: WritersQueueWatch

    init(
        databasePath: String, nodeOptions: NodeOptions, minimumFreeBytes: Int64, metrics: DaemonMetrics,
        heartbeat: LoopHeartbeat, visibility: HealthDetailsVisibility, clients: ClientAddresses
    ) {
        self.databasePath = databasePath
        self.nodeOptions = nodeOptions
        self.minimumFreeBytes = minimumFreeBytes
        self.metrics = metrics
        self.heartbeat = heartbeat
        self.visibility = visibility
        self.clients = clients
        writers = WritersQueueWatch(databasePath: databasePath, options: nodeOptions.database)
    }

    /// The groups served, by their short and their Actuator paths.
    static let groups: [String: String] = [
        "/health": "health", "/actuator/health": "health", "/health/liveness": "liveness",
        "/actuator/health/liveness": "liveness", "/health/readiness": "readiness",
        "/actuator/health/readiness": "readiness",
    ]
    static let metricsPaths: Set<String> = ["/metrics", "/actuator/prometheus"]

    /// True for a path this serves (a component's path included).
    static func serves(_ path: Substring) -> Bool {
        groups[String(path)] != nil || metricsPaths.contains(String(path)) || path == "/actuator"
            || path.hasPrefix("/actuator/health/")
    }

    /// The answer for `request`, at `path` (its own path unless given: `/v1/health` is `/health`).
    func respond(to request: HTTPRequest, path: String? = nil) -> HTTPResponse {
        guard request.method == "GET" || request.method == "HEAD" else {
            var headers = HTTPHeaders()
            headers.add("Allow", "GET, HEAD")
            return HTTPResponse.error(
                HTTPRefusal(status: 405, code: "method_not_allowed", message: "\(request.path) answers GET and HEAD"),
                headers: headers)
        }
        let path = path ?? String(request.path)
        let details = showsDetails(to: request.head)
        if let group = Self.groups[path] {
            switch group {
            case "liveness":
                return document(
                    HealthReport(components: ["syncLoop": heartbeat.component()], deciding: ["syncLoop"]), details)
            case "readiness":
                let components = everything().filter { NodeHealth.readiness.contains($0.key) }
                return document(HealthReport(components: components, deciding: NodeHealth.readiness), details)
            default:
                return document(
                    HealthReport(components: everything(), deciding: NodeHealth.readiness + ["syncLoop"]), details)
            }
        }
        if Self.metricsPaths.contains(path) { return metricsPage(showingCentral: details) }
        if path == "/actuator" { return index(request.head) }
        let name = String(path.dropFirst("/actuator/health/".count))
        guard let component = everything()[name] else {
            return HTTPResponse.error(
                HTTPRefusal(
                    status: 404, code: "not_found",
                    message: "no health component '\(name)'; see /actuator/health for the components"))
        }
        return HTTPResponse(
            status: component.status.httpStatus, contentType: Self.actuatorJSON,
            body: component.json(showingDetails: details) + "\n")
    }

    /// Actuator's media type for its documents (plain JSON readers accept it as JSON).
    static let actuatorJSON = "application/vnd.spring-boot.actuator.v3+json"

    /// How a probe the server could not serve reads: a health document that is DOWN, with why.
    func refusal(_ refusal: HTTPRefusal) -> HTTPResponse {
        let report = HealthReport(
            components: [
                "server": HealthComponent(.down, ["error": .text(refusal.code), "message": .text(refusal.message)])
            ], deciding: ["server"])
        var headers = HTTPHeaders()
        if refusal.status == 503 || refusal.status == 429 { headers.add("Retry-After", "1") }
        return HTTPResponse(
            status: refusal.status, contentType: Self.actuatorJSON, headers: headers,
            body: report.json(showingDetails: true) + "\n")
    }

    /// The refusal of a request whose path is not known: the probe's document above, with the
    /// error object's `error` member added, read by checkers and API clients alike.
    func refusalOfUnknownRequest(_ refusal: HTTPRefusal) -> HTTPResponse {
        var response = self.refusal(refusal)
        let error = HTTPResponse.error(refusal).text.trimmingCharacters(in: .whitespacesAndNewlines)
        let document = response.text.trimmingCharacters(in: .whitespacesAndNewlines)
        // Both are JSON objects: the error's members go in before the document's closing brace.
        response.body = Array((document.dropLast() + "," + error.dropFirst() + "\n").utf8)
        response.contentType = "application/json"
        return response
    }

    private func showsDetails(to head: HTTPRequestHead) -> Bool {
        switch visibility {
        case .always: true
        case .never: false
        case .loopback: clients.clients(of: head).allSatisfy { ListenAddress.isLoopback(address: $0) }
        }
    }

    private func everything() -> [String: HealthComponent] {
        var components = NodeHealth.components(
            databasePath: databasePath, options: nodeOptions, minimumFreeBytes: minimumFreeBytes,
            writers: { _ in self.writers.status() })
        components["syncLoop"] = heartbeat.component()
        if let member = metrics.member { components["central"]?.details["member"] = .text(member) }
        return components
    }

    private func document(_ report: HealthReport, _ details: Bool) -> HTTPResponse {
        HTTPResponse(
            status: report.status.httpStatus, contentType: Self.actuatorJSON,
            body: report.json(showingDetails: details) + "\n")
    }

    /// Actuator's discovery page: a link to every endpoint, absolute on the host the client used.
    private func index(_ head: HTTPRequestHead) -> HTTPResponse {
        struct Link: Encodable {
            let href: String
            let templated: Bool
        }
        let base = head.headers["host"].map { "http://\($0)" } ?? ""
        let links = [
            "self": Link(href: base + "/actuator", templated: false),
            "health": Link(href: base + "/actuator/health", templated: false),
            "health-path": Link(href: base + "/actuator/health/{*path}", templated: true),
            "prometheus": Link(href: base + "/actuator/prometheus", templated: false),
        ]
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let body = (try? encoder.encode(["_links": links])).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
        return HTTPResponse(status: 200, contentType: Self.actuatorJSON, body: body + "\n")
    }

    /// The Prometheus page; central's address (`venue_sync_central_member`) is a detail, shown
    /// only to whom `/health` shows details.
    private func metricsPage(showingCentral: Bool) -> HTTPResponse {
        let read = try? VenueNode.open(path: databasePath, options: nodeOptions)
        let nodeID = (try? read?.settings().nodeID) ?? nil
        let status = (try? read?.sync.status()) ?? nil
        let disk = NodeHealth.diskUsage(at: databasePath).map {
            DaemonMetrics.Disk(free: $0.free, total: $0.total, minimumFree: minimumFreeBytes)
        }
        return HTTPResponse(
            status: 200, contentType: "text/plain; version=0.0.4; charset=utf-8",
            body: metrics.exposition(
                node: nodeID ?? "unknown", status: status, disk: disk, showingCentral: showingCentral))
    }
}

/// The sync loop's own sign of life: each step says by when the next will come. A loop that
/// misses its deadline is wedged (blocked on a frozen network, deadlocked) and liveness is DOWN,
/// however well the database reads. Deadlines are on the monotonic clock, so a step of the wall
/// clock neither hides a wedged loop nor fails a live one; the time of the last beat is shown by
/// the wall clock, for people.
final class LoopHeartbeat: Sendable {
    private struct Beat {
        var wallMilliseconds: Int64
        var deadline: UInt64
    }

    private let state: Mutex<Beat>

    init(within seconds: Double) {
        state = Mutex(Beat(wallMilliseconds: SystemWallClock().now().milliseconds, deadline: Self.after(seconds)))
    }

    /// The loop is alive now and will beat again within `seconds`.
    func beat(within seconds: Double) {
        let beat = Beat(wallMilliseconds: SystemWallClock().now().milliseconds, deadline: Self.after(seconds))
        state.withLock { $0 = beat }
    }

    /// Seconds past the deadline (0 when on time).
    var lateness: Double {
        let deadline = state.withLock { $0.deadline }
        let now = MonotonicClock.nanoseconds()
        return now > deadline ? Double(now - deadline) / 1e9 : 0
    }

    func component() -> HealthComponent {
        let last = state.withLock { $0.wallMilliseconds }
        let late = lateness
        var details: [String: HealthDetail] = ["lastBeatAt": .text(Timestamp(milliseconds: last).description)]
        if late > 0 { details["lateSeconds"] = .number(Int64(late.rounded(.up))) }
        return HealthComponent(late > 0 ? .down : .up, details)
    }

    private static func after(_ seconds: Double) -> UInt64 {
        MonotonicClock.nanoseconds() + UInt64(max(0, seconds) * 1e9)
    }
}

extension HTTPResponse {
    /// A refusal in the error object's shape with further header fields.
    static func error(_ refusal: HTTPRefusal, headers: HTTPHeaders) -> HTTPResponse {
        var response = HTTPResponse.error(refusal)
        for (name, value) in headers { response.headers.add(name, value) }
        return response
    }
}
