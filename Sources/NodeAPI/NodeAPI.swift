import HTTPServer
import SyncWire
import Ticketing

/// The node's JSON API for tills and door scanners on the venue network (`/v1/…`), and its
/// OpenAPI document (`/openapi.json`). Every operation is the one the CLI runs, through the same
/// library call, with the same roles, JSON shapes and errors; writes need an `Idempotency-Key`.
/// Signing in checks a password, slow on purpose: it runs on the server's credential workers
/// (``HTTPLane/credentials``), and each client address may try only so often (``SignInLimiter``).
public final class NodeAPI: Sendable {
    let connections: NodeConnections
    let routes: [Route]
    let clients: ClientAddresses
    let signIns: SignInLimiter

    public init(
        databasePath: String, options: NodeOptions, clients: ClientAddresses = ClientAddresses(),
        signIns: SignInLimiter = SignInLimiter()
    ) {
        connections = NodeConnections(path: databasePath, options: options)
        routes = Routes.all
        self.clients = clients
        self.signIns = signIns
    }

    /// The credential workers for signing in, the others for the rest.
    public func lane(for head: HTTPRequestHead) -> HTTPLane {
        Self.isSignIn(head) ? .credentials : .work
    }

    /// 429 with `Retry-After` for a sign-in from an address that has used up its attempts
    /// (``SignInLimiter``); nil for anything else.
    public func admit(_ head: HTTPRequestHead) -> HTTPResponse? {
        guard Self.isSignIn(head) else { return nil }
        let client = clients.client(of: head)
        guard let seconds = signIns.take(client) else { return nil }
        var headers = HTTPHeaders()
        headers.add("Retry-After", String(seconds))
        return ErrorAnswer.of(
            APIError(
                status: 429, code: "sign_in_rate_limited",
                message: "too many sign-in attempts from \(client.prefix(64)); try again in \(seconds) s",
                exitCode: 4, headers: headers))
    }

    private static func isSignIn(_ head: HTTPRequestHead) -> Bool {
        head.method == "POST" && head.path == Routes.signInPath
    }

    /// Every route as `METHOD /template`, for the document's test.
    public var routeNames: [String] { routes.map { "\($0.method) \($0.template)" } }

    /// True for the paths this answers.
    public static func serves(_ path: Substring) -> Bool { path.hasPrefix("/v1/") || path == "/openapi.json" }

    public func respond(to request: HTTPRequest) -> HTTPResponse {
        if request.path == "/openapi.json" { return OpenAPIDocument.response(for: request) }
        let method = request.method == "HEAD" ? "GET" : request.method
        let candidates = routes.compactMap { route in route.template.match(request.path).map { (route, $0) } }
        guard !candidates.isEmpty else {
            return ErrorAnswer.of(APIError.notFound("no such path: \(request.path); see /openapi.json"))
        }
        guard let (route, parameters) = candidates.first(where: { $0.0.method == method }) else {
            var headers = HTTPHeaders()
            let allowed = candidates.map(\.0.method)
            headers.add("Allow", (allowed + (allowed.contains("GET") ? ["HEAD"] : [])).joined(separator: ", "))
            return ErrorAnswer.of(
                APIError(
                    status: 405, code: "method_not_allowed",
                    message: "\(request.path) answers \(allowed.joined(separator: ", "))", headers: headers))
        }
        do {
            guard let query = PercentDecoding.query(request.head.query) else {
                throw APIError.badRequest("the query string is malformed")
            }
            let response = try connections.withNode { node in
                try answer(route, request, node: node, parameters: parameters, query: query)
            }
            if Self.isSignIn(request.head), response.status == 201 {
                signIns.giveBack(clients.client(of: request.head))
            }
            return response
        } catch {
            return ErrorAnswer.of(error)
        }
    }

    private func answer(
        _ route: Route, _ request: HTTPRequest, node: VenueNode, parameters: [String: String], query: [String: String]
    ) throws -> HTTPResponse {
        let caller = route.needsSession ? try authenticate(request, on: node) : nil
        var key: String?
        if route.isWrite {
            guard let given = request.headers["idempotency-key"], !given.isEmpty else {
                throw APIError(
                    status: 428, code: "idempotency_key_required",
                    message: "a write needs an Idempotency-Key header (8 to 128 letters, digits or - _ . :), "
                        + "made once per attempt and sent again on a retry")
            }
            key = given
        }
        let call = APICall(
            request: request, node: node, caller: caller, parameters: parameters, query: query, idempotencyKey: key,
            client: clients.client(of: request.head))
        switch route.retry {
        case .read, .unkeyed, .saleKey:
            return try route.handle(call).response
        case .keptAnswer:
            let fingerprint = [
                route.method, String(request.path), caller?.id ?? "-",
                String(decoding: request.body, as: UTF8.self),
            ].joined(separator: "\n")
            let kept = try node.answerOnce(key: key!, request: fingerprint) {
                let answer = try route.handle(call)
                return (answer.status, String(decoding: answer.body, as: UTF8.self))
            }
            var answer = APIAnswer(status: kept.status, body: Array(kept.body.utf8))
            if kept.replayed { answer.headers.add("Idempotent-Replayed", "true") }
            return answer.response
        }
    }

    /// The staff member behind `Authorization: Bearer TOKEN`.
    private func authenticate(_ request: HTTPRequest, on node: VenueNode) throws -> Operator {
        guard let field = request.headers["authorization"] else {
            throw APIError.noSession("sign in first: POST /v1/sessions, then send 'Authorization: Bearer TOKEN'")
        }
        let parts = field.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, parts[0].lowercased() == "bearer", !parts[1].isEmpty else {
            throw APIError.noSession("the Authorization header must be 'Bearer TOKEN'")
        }
        do {
            return try node.users.authenticate(token: parts[1].trimmingSpaces)
        } catch TicketingError.notLoggedIn(let message) {
            throw APIError.noSession(
                message.replacing("run 'boxoffice login NAME'", with: "sign in again: POST /v1/sessions"))
        }
    }
}
