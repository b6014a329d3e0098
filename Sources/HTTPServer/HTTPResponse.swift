/// What a handler answers. The server adds `Content-Length`, `Connection` and `Date`.
public struct HTTPResponse: Sendable, Equatable {
    public var status: Int
    public var contentType: String
    /// Further header fields (`Retry-After`, `Location`, `Allow`, `Cache-Control`…).
    public var headers: HTTPHeaders
    public var body: [UInt8]

    public init(
        status: Int, contentType: String = "text/plain; charset=utf-8", headers: HTTPHeaders = HTTPHeaders(),
        bytes: [UInt8]
    ) {
        self.status = status
        self.contentType = contentType
        self.headers = headers
        self.body = bytes
    }

    public init(
        status: Int, contentType: String = "text/plain; charset=utf-8", headers: HTTPHeaders = HTTPHeaders(),
        body: String
    ) {
        self.init(status: status, contentType: contentType, headers: headers, bytes: Array(body.utf8))
    }

    /// The body as text.
    public var text: String { String(decoding: body, as: UTF8.self) }

    /// The bytes on the wire: status line, fields and, unless `omitBody` (HEAD) or the status has
    /// none, the body.
    func serialized(keepAlive: Bool, omitBody: Bool, date: String) -> [UInt8] {
        var head = "HTTP/1.1 \(status) \(Self.reason(status))\r\nDate: \(date)\r\n"
        let bodyless = status == 204 || status == 304 || (100..<200).contains(status)
        if !bodyless {
            head += "Content-Type: \(contentType)\r\nContent-Length: \(body.count)\r\n"
        }
        head += keepAlive ? "Connection: keep-alive\r\n" : "Connection: close\r\n"
        for (name, value) in headers.fields { head += "\(name): \(value)\r\n" }
        head += "\r\n"
        return Array(head.utf8) + (omitBody || bodyless ? [] : body)
    }

    /// The reason phrase of `status` (RFC 9110 §15).
    public static func reason(_ status: Int) -> String {
        switch status {
        case 100: "Continue"
        case 200: "OK"
        case 201: "Created"
        case 202: "Accepted"
        case 204: "No Content"
        case 301: "Moved Permanently"
        case 304: "Not Modified"
        case 400: "Bad Request"
        case 401: "Unauthorized"
        case 403: "Forbidden"
        case 404: "Not Found"
        case 405: "Method Not Allowed"
        case 408: "Request Timeout"
        case 409: "Conflict"
        case 410: "Gone"
        case 411: "Length Required"
        case 413: "Content Too Large"
        case 414: "URI Too Long"
        case 415: "Unsupported Media Type"
        case 417: "Expectation Failed"
        case 422: "Unprocessable Content"
        case 423: "Locked"
        case 428: "Precondition Required"
        case 429: "Too Many Requests"
        case 431: "Request Header Fields Too Large"
        case 500: "Internal Server Error"
        case 501: "Not Implemented"
        case 502: "Bad Gateway"
        case 503: "Service Unavailable"
        case 504: "Gateway Timeout"
        case 505: "HTTP Version Not Supported"
        default: "Status \(status)"
        }
    }
}
