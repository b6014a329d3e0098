import HTTPServer

/// What the daemon's listener answers: the health, metrics and index paths on the probe workers,
/// anything else with the error object (404).
struct DaemonHTTPHandler: HTTPHandler {
    let health: HealthEndpoints

    func lane(for head: HTTPRequestHead) -> HTTPLane {
        HealthEndpoints.serves(head.path) ? .probe : .work
    }

    func respond(to request: HTTPRequest) -> HTTPResponse {
        if HealthEndpoints.serves(request.path) { return health.respond(to: request) }
        return HTTPResponse.error(
            HTTPRefusal(
                status: 404, code: "not_found",
                message:
                    "no such path: \(request.path); try /health, /health/liveness, /health/readiness, /metrics or /actuator"
            ))
    }

    func refusal(_ refusal: HTTPRefusal, for head: HTTPRequestHead?) -> HTTPResponse {
        guard let head, HealthEndpoints.serves(head.path) else { return HTTPResponse.error(refusal) }
        return health.refusal(refusal)
    }
}
