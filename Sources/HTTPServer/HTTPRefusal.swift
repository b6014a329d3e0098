/// A request the server turns away itself, before any handler sees it: malformed, too large, too
/// slow, or arriving while the server is full or stopping. The handler decides how it reads
/// (``HTTPHandler/refusal(_:for:)``); the connection is closed after it unless it is a 503 for a
/// request that was read whole.
public struct HTTPRefusal: Error, Sendable, Equatable {
    public let status: Int
    /// A stable, snake_case code (`bad_request`, `request_timeout`, `busy`…).
    public let code: String
    /// One sentence for a person.
    public let message: String

    public init(status: Int, code: String, message: String) {
        self.status = status
        self.code = code
        self.message = message
    }

    /// What the command line exits with for the same outcome (the error object carries it): 6 not
    /// found, 5 no session or not allowed, 4 busy or in conflict (try again), 2 a malformed request.
    public var exitCode: Int {
        switch status {
        case 404: 6
        case 401, 403: 5
        case 409, 429, 503: 4
        default: 2
        }
    }

    static func badRequest(_ message: String) -> HTTPRefusal {
        HTTPRefusal(status: 400, code: "bad_request", message: message)
    }

    static func headersTooLarge(_ limit: Int) -> HTTPRefusal {
        HTTPRefusal(
            status: 431, code: "headers_too_large", message: "the request's head is longer than \(limit) bytes")
    }

    static func bodyTooLarge(_ limit: Int) -> HTTPRefusal {
        HTTPRefusal(status: 413, code: "body_too_large", message: "the request's body is longer than \(limit) bytes")
    }

    static func timedOut(_ seconds: Double) -> HTTPRefusal {
        HTTPRefusal(
            status: 408, code: "request_timeout",
            message: "the request did not arrive whole within \(Self.seconds(seconds)) s")
    }

    static let busy = HTTPRefusal(
        status: 503, code: "busy", message: "the server has too many requests waiting; try again in a moment")

    static let credentialsBusy = HTTPRefusal(
        status: 503, code: "busy", message: "too many sign-ins are being checked at once; try again in a moment")

    static let tooManyConnections = HTTPRefusal(
        status: 503, code: "too_many_connections", message: "the server has too many connections open; try again")

    static let clientConnections = HTTPRefusal(
        status: 429, code: "too_many_connections_from_client",
        message: "this address has too many connections open; close some and try again")

    static let stopping = HTTPRefusal(
        status: 503, code: "stopping", message: "the server is stopping; try again when it is back")

    private static func seconds(_ value: Double) -> String {
        value == value.rounded() ? String(Int(value)) : String(value)
    }
}
