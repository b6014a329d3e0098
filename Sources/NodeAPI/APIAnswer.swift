import HTTPServer
import SyncWire
import Ticketing

/// What a route answers: a status and a JSON document in the shape `--json` prints (snake_case
/// keys, sorted; times in UTC with the venue's `timezone` beside them).
struct APIAnswer {
    var status: Int
    var body: [UInt8]
    var headers = HTTPHeaders()
    /// JSON, but for a printed ticket or a drawing (SVG, PDF, printer commands, text).
    var contentType = "application/json"

    static func json(_ status: Int, _ value: some Encodable) throws -> APIAnswer {
        let text = try (value as? any PrewrittenJSON)?.jsonText ?? JSONText.encode(value)
        return APIAnswer(status: status, body: Array((text + "\n").utf8))
    }

    /// A document of another kind, as `contentType`.
    static func document(_ bytes: [UInt8], contentType: String) -> APIAnswer {
        APIAnswer(status: 200, body: bytes, contentType: contentType)
    }

    static let noContent = APIAnswer(status: 204, body: [])

    var response: HTTPResponse {
        var response = HTTPResponse(status: status, contentType: contentType, headers: headers, bytes: body)
        response.headers.add("Cache-Control", "no-store")
        response.headers.add("X-Content-Type-Options", "nosniff")
        return response
    }
}

/// An error the API layer itself raises (a malformed body, no session, an unknown path), with the
/// exit code the same mistake gets on the command line.
struct APIError: Error {
    let status: Int
    let code: String
    let message: String
    var exitCode: Int32 = 2
    var headers = HTTPHeaders()

    init(status: Int, code: String, message: String, exitCode: Int32 = 2, headers: HTTPHeaders = HTTPHeaders()) {
        self.status = status
        self.code = code
        self.message = message
        self.exitCode = exitCode
        self.headers = headers
    }

    static func badRequest(_ message: String) -> APIError {
        APIError(status: 400, code: "bad_request", message: message)
    }

    static func noSession(_ message: String) -> APIError {
        var headers = HTTPHeaders()
        headers.add("WWW-Authenticate", #"Bearer realm="venue-node""#)
        return APIError(status: 401, code: "not_logged_in", message: message, exitCode: 5, headers: headers)
    }

    static func notFound(_ message: String) -> APIError {
        APIError(status: 404, code: "not_found", message: message, exitCode: 6)
    }
}

/// The error object, `{"error": {"code", "exit_code", "message"}}`, with its HTTP status.
enum ErrorAnswer {
    static func of(_ error: any Error) -> HTTPResponse {
        if let error = error as? APIError {
            return answer(
                error.status, ErrorReport(exitCode: error.exitCode, code: error.code, message: error.message),
                error.headers)
        }
        let report = ErrorReport.of(error)
        var headers = HTTPHeaders()
        let status = status(of: report)
        if status == 401 { headers.add("WWW-Authenticate", #"Bearer realm="venue-node""#) }
        if let seconds = report.retryAfterSeconds {
            headers.add("Retry-After", String(seconds))
        } else if status == 503 || status == 429 {
            headers.add("Retry-After", report.code == "maintenance" ? "60" : "1")
        }
        return answer(status, report, headers)
    }

    /// The HTTP status for an outcome the command line reports with `report.exitCode`.
    static func status(of report: ErrorReport) -> Int {
        switch report.code {
        case "login_throttled": return 429
        case "account_locked": return 423
        case "busy", "store_detached": return 503
        case "database_error", "io_error", "error": return 500
        default: break
        }
        switch report.exitCode {
        case 2: return 422
        case 3, 4: return 409
        case 5: return report.code == "not_logged_in" ? 401 : 403
        case 6: return 404
        case 7: return 503
        default: return 409
        }
    }

    private static func answer(_ status: Int, _ report: ErrorReport, _ headers: HTTPHeaders) -> HTTPResponse {
        struct Document: Encodable { let error: ErrorReport }
        var answer =
            (try? APIAnswer.json(status, Document(error: report)))
            ?? APIAnswer(status: status, body: Array(#"{"error":{"code":"error","exit_code":1,"message":"?"}}"#.utf8))
        answer.headers = headers
        return answer.response
    }
}
