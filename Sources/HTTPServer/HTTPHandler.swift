/// Which of the server's worker pools serves a request.
public enum HTTPLane: Sendable {
    /// Health checks and scrapes: a pool of their own, so that a probe is answered while every
    /// other worker waits on a slow sale.
    case probe
    /// Requests that check a password: the hash is slow on purpose (PBKDF2), so they run on a
    /// few workers of their own at a lower CPU priority, and past a short queue are refused at
    /// once; the other workers never wait behind them.
    case credentials
    /// Everything else.
    case work
}

/// What the server calls: on one of its worker threads, any number at once.
public protocol HTTPHandler: Sendable {
    /// The pool that serves a request, chosen from its head alone.
    func lane(for head: HTTPRequestHead) -> HTTPLane
    /// An answer given at once instead of queueing the request for `lane` (a limit the handler
    /// keeps, such as sign-ins per client); nil lets it through. Called on the server's own
    /// thread, between reading one request and the next: it must not block.
    func admit(_ head: HTTPRequestHead, to lane: HTTPLane) -> HTTPResponse?
    /// The answer to a request read whole.
    func respond(to request: HTTPRequest) -> HTTPResponse
    /// How the server's own refusals read (malformed, too large, too slow, busy, stopping); `head`
    /// is nil when the request's head could not be read.
    func refusal(_ refusal: HTTPRefusal, for head: HTTPRequestHead?) -> HTTPResponse
}

extension HTTPHandler {
    public func lane(for head: HTTPRequestHead) -> HTTPLane { .work }

    public func admit(_ head: HTTPRequestHead, to lane: HTTPLane) -> HTTPResponse? { nil }

    /// `{"error": {"code": …, "exit_code": …, "message": …}}`.
    public func refusal(_ refusal: HTTPRefusal, for head: HTTPRequestHead?) -> HTTPResponse {
        HTTPResponse.error(refusal)
    }
}

extension HTTPResponse {
    /// A refusal as `{"error": {"code": …, "exit_code": …, "message": …}}`, with `Retry-After` on a 503.
    public static func error(_ refusal: HTTPRefusal) -> HTTPResponse {
        var headers = HTTPHeaders()
        if refusal.status == 503 || refusal.status == 429 { headers.add("Retry-After", "1") }
        let body =
            #"{"error":{"code":"\#(refusal.code)","exit_code":\#(refusal.exitCode),"message":"\#(jsonEscaped(refusal.message))"}}"#
            + "\n"
        return HTTPResponse(status: refusal.status, contentType: "application/json", headers: headers, body: body)
    }

    /// `text` as the inside of a JSON string.
    static func jsonEscaped(_ text: String) -> String {
        var escaped = ""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": escaped += "\\\""
            case "\\": escaped += "\\\\"
            case "\n": escaped += "\\n"
            case "\r": escaped += "\\r"
            case "\t": escaped += "\\t"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                escaped += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: escaped.unicodeScalars.append(scalar)
            }
        }
        return escaped
    }
}

/// A handler made of closures.
public struct HTTPClosureHandler: HTTPHandler {
    let choose: @Sendable (HTTPRequestHead) -> HTTPLane
    let answer: @Sendable (HTTPRequest) -> HTTPResponse

    public init(
        lane: @escaping @Sendable (HTTPRequestHead) -> HTTPLane = { _ in .work },
        _ answer: @escaping @Sendable (HTTPRequest) -> HTTPResponse
    ) {
        choose = lane
        self.answer = answer
    }

    public func lane(for head: HTTPRequestHead) -> HTTPLane { choose(head) }
    public func respond(to request: HTTPRequest) -> HTTPResponse { answer(request) }
}
