import HTTPServer
import SyncWire

/// The pages for people at tills and doors: `/` (which is which), `/till`, `/door` and their
/// `/assets/…`, plain HTML, CSS and JavaScript modules kept in `Sources/NodeAPI/Pages/` and
/// embedded at build time. They call the API as any client does; what they are served with keeps
/// other origins out: a Content-Security-Policy without inline script or style, no framing, no
/// referrer, and a revalidation on every load so that a node's upgrade reaches every till.
public enum Pages {
    /// An embedded file as served.
    struct File: Sendable {
        let contentType: String
        let bytes: [UInt8]
        /// A strong validator: a hash of the bytes, quoted.
        let etag: String
    }

    /// The embedded files by the path they are served at.
    static let files: [String: File] = {
        var files = [String: File]()
        for (name, text) in EmbeddedPages.files {
            guard let path = path(of: name) else { continue }
            let bytes = Array(text.utf8)
            files[path] = File(contentType: contentType(of: name), bytes: bytes, etag: etag(of: bytes))
        }
        return files
    }()

    /// The paths the pages are served at: an HTML file at its name without `.html` (`index`
    /// at `/`), an asset at `/assets/NAME`; nil for a file that is not served.
    static func path(of name: String) -> String? {
        if name == "index.html" { return "/" }
        if name.hasSuffix(".html"), !name.contains("/") { return "/" + name.dropLast(5) }
        if name.hasPrefix("assets/"), name.split(separator: "/").count == 2 { return "/" + name }
        return nil
    }

    static let securityPolicy = [
        "default-src 'self'", "script-src 'self'", "style-src 'self'", "img-src 'self' blob:",
        "connect-src 'self'", "object-src 'none'", "base-uri 'none'", "form-action 'none'",
        "frame-ancestors 'none'", "require-trusted-types-for 'script'",
    ].joined(separator: "; ")

    /// True for the paths this answers: the pages, anything under `/assets/`, and a page's path
    /// as people type it (``typedPage(_:)``).
    public static func serves(_ path: Substring) -> Bool {
        path.hasPrefix("/assets/") || files[String(path)] != nil || typedPage(path) != nil
    }

    /// The page a person meant by a path typed with a slash at its end or in capitals (`/till/`,
    /// `/DOOR`), or nil.
    static func typedPage(_ path: Substring) -> String? {
        var page = path.lowercased()
        if page.count > 1, page.hasSuffix("/") { page.removeLast() }
        guard page != path, !page.hasPrefix("/assets/"), files[page] != nil else { return nil }
        return page
    }

    /// Every route, `METHOD /template`, for the OpenAPI document's test.
    public static let routeNames: [String] =
        files.keys.filter { !$0.hasPrefix("/assets/") }.sorted().map { "GET \($0)" } + ["GET /assets/{file}"]

    public static func respond(to request: HTTPRequest) -> HTTPResponse {
        guard request.method == "GET" || request.method == "HEAD" else {
            var headers = HTTPHeaders()
            headers.add("Allow", "GET, HEAD")
            return ErrorAnswer.of(
                APIError(
                    status: 405, code: "method_not_allowed", message: "\(request.path) answers GET", headers: headers))
        }
        guard let file = files[String(request.path)] else {
            if let page = typedPage(request.path) {
                var headers = HTTPHeaders()
                headers.add("Location", page + (request.head.query.map { "?" + $0 } ?? ""))
                headers.add("Cache-Control", "no-cache")
                return HTTPResponse(status: 301, headers: headers, body: "See \(page)\n")
            }
            return ErrorAnswer.of(APIError.notFound("no such file: \(request.path)"))
        }
        var headers = HTTPHeaders()
        headers.add("Cache-Control", "no-cache")
        headers.add("ETag", file.etag)
        headers.add("Content-Security-Policy", securityPolicy)
        headers.add("X-Content-Type-Options", "nosniff")
        headers.add("X-Frame-Options", "DENY")
        headers.add("Referrer-Policy", "no-referrer")
        headers.add("Cross-Origin-Opener-Policy", "same-origin")
        headers.add("Cross-Origin-Resource-Policy", "same-origin")
        let unchanged = (request.headers["if-none-match"] ?? "").split(separator: ",").contains {
            let tag = $0.trimmingSpaces
            return tag == file.etag || tag == "W/" + file.etag || tag == "*"
        }
        if unchanged { return HTTPResponse(status: 304, contentType: file.contentType, headers: headers, bytes: []) }
        return HTTPResponse(status: 200, contentType: file.contentType, headers: headers, bytes: file.bytes)
    }

    static func contentType(of name: String) -> String {
        switch name.split(separator: ".").last ?? "" {
        case "html": "text/html; charset=utf-8"
        case "css": "text/css; charset=utf-8"
        case "js": "text/javascript; charset=utf-8"
        case "svg": "image/svg+xml"
        case "json": "application/json"
        default: "text/plain; charset=utf-8"
        }
    }

    /// 64-bit FNV-1a of the bytes in hex, quoted: enough to tell two versions of a file apart.
    static func etag(of bytes: [UInt8]) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in bytes {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01b3
        }
        let hex = String(hash, radix: 16)
        return "\"" + String(repeating: "0", count: 16 - hex.count) + hex + "\""
    }
}
