import HTTPServer
import NodeAPI

/// What the daemon's listener answers: the health, metrics and index paths on the probe workers
/// (`/v1/health` too), signing in on the credential workers, the rest of the API, its document and
/// the pages for tills and doors on the others, anything else with the error object (404).
struct DaemonHTTPHandler: HTTPHandler {
    let health: HealthEndpoints
    let api: NodeAPI

    func lane(for head: HTTPRequestHead) -> HTTPLane {
        Self.isHealth(head.path) ? .probe : api.lane(for: head)
    }

    func admit(_ head: HTTPRequestHead, to lane: HTTPLane) -> HTTPResponse? {
        lane == .credentials ? api.admit(head) : nil
    }

    func respond(to request: HTTPRequest) -> HTTPResponse {
        if request.path == "/v1/health" { return health.respond(to: request, path: "/health") }
        if HealthEndpoints.serves(request.path) { return health.respond(to: request) }
        if NodeAPI.serves(request.path) { return api.respond(to: request) }
        if Pages.serves(request.path) { return Pages.respond(to: request) }
        return HTTPResponse.error(
            HTTPRefusal(
                status: 404, code: "not_found",
                message:
                    "no such path: \(request.path); try /till, /door, /v1/… (see /openapi.json), /health or /metrics"))
    }

    /// A probe's refusal is a health document that is DOWN; an API request's the error object.
    /// A connection turned away before its request arrived might have been either: it gets both
    /// in one document (the health document with the error object as its `error` member).
    func refusal(_ refusal: HTTPRefusal, for head: HTTPRequestHead?) -> HTTPResponse {
        guard let head else { return health.refusalOfUnknownRequest(refusal) }
        return Self.isHealth(head.path) ? health.refusal(refusal) : HTTPResponse.error(refusal)
    }

    /// Every route the listener answers, `METHOD /template`: the API's, the health paths and the
    /// pages (GET; HEAD as GET). The OpenAPI document lists the same.
    static func routeNames(api: NodeAPI) -> [String] {
        api.routeNames + ["GET /v1/health", "GET /openapi.json", "GET /actuator", "GET /actuator/health/{component}"]
            + (HealthEndpoints.groups.keys.sorted() + HealthEndpoints.metricsPaths.sorted()).map { "GET \($0)" }
            + Pages.routeNames
    }

    private static func isHealth(_ path: Substring) -> Bool { path == "/v1/health" || HealthEndpoints.serves(path) }
}
