import HTTPServer

/// The API's OpenAPI 3.1 document, `docs/api/openapi.json`, embedded at build time and served as
/// kept in the repository.
enum OpenAPIDocument {
    static let text: String = EmbeddedAPIFiles.files.first { $0.name == "openapi" }?.text ?? "{}"

    static func response(for request: HTTPRequest) -> HTTPResponse {
        guard request.method == "GET" || request.method == "HEAD" else {
            var headers = HTTPHeaders()
            headers.add("Allow", "GET, HEAD")
            return ErrorAnswer.of(
                APIError(
                    status: 405, code: "method_not_allowed", message: "/openapi.json answers GET", headers: headers))
        }
        return HTTPResponse(status: 200, contentType: "application/json", body: text)
    }
}
