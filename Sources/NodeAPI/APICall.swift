import Foundation
import HTTPServer
import SyncWire
import Ticketing

/// One request as a route's handler sees it: the node connection it may use (on this thread
/// only), who is calling, the path's and query's values, and the body.
struct APICall {
    let request: HTTPRequest
    let node: VenueNode
    /// The signed-in staff member; nil only on routes that need no session.
    let caller: Operator?
    let parameters: [String: String]
    let query: [String: String]
    /// The `Idempotency-Key` of a write.
    let idempotencyKey: String?
    /// Where the request came from: the peer, or the client a trusted proxy names.
    let client: String

    /// The signed-in staff member.
    var actor: Operator {
        get throws {
            guard let caller else { throw APIError.noSession("sign in first: POST /v1/sessions") }
            return caller
        }
    }

    /// The value of `{name}` in the path.
    func parameter(_ name: String) -> String { parameters[name] ?? "" }

    /// The body, as JSON of type `T`: an object with only the fields `T` knows (a misspelt field is
    /// an error, not a default), each once and of the right type. The one reading of a body for
    /// every route: malformed JSON, a field sent twice or unknown, or a wrong type is 400; a number
    /// no whole number of 64 bits holds is 422, naming the field.
    func body<T: APIBody>(_ type: T.Type) throws -> T {
        guard !request.body.isEmpty else {
            throw APIError.badRequest("this request needs a JSON object as its body")
        }
        let contentType = (request.headers["content-type"] ?? "").lowercased()
        guard contentType.hasPrefix("application/json") else {
            throw APIError(
                status: 415, code: "unsupported_media_type",
                message: "send the body as JSON with 'Content-Type: application/json'")
        }
        let document = try JSONReader.read(request.body)
        try JSONShape.check(document, fields: T.fields)
        try T.checkFields(request.body)
        do {
            return try JSONText.decoder().decode(T.self, from: Data(request.body))
        } catch let error as DecodingError {
            throw JSONShape.refusal(of: error, in: document)
        }
    }
}

/// A request body: what it decodes to, and the fields it may hold (nested objects by field name).
protocol APIBody: Decodable {
    static var fields: JSONShape.Fields { get }

    /// Checks the fields ``fields`` cannot describe (objects in arrays); by default, none.
    static func checkFields(_ body: [UInt8]) throws
}

extension APIBody {
    static func checkFields(_ body: [UInt8]) throws {}
}
