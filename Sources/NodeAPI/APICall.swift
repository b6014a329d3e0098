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
    /// an error, not a default), each of the right type.
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
        try JSONShape.check(request.body, fields: T.fields)
        try T.checkFields(request.body)
        do {
            return try JSONText.decoder().decode(T.self, from: Data(request.body))
        } catch let error as DecodingError {
            throw APIError.badRequest(JSONShape.describe(error))
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

/// The fields a JSON object may hold, checked before decoding so that a misspelt field is refused
/// by name rather than ignored.
enum JSONShape {
    /// Field names, each with the fields of the object it holds, if it holds one.
    struct Fields: Sendable {
        let names: [String: Fields?]
        init(_ names: [String: Fields?]) { self.names = names }
    }

    static func check(_ bytes: [UInt8], fields: Fields) throws {
        let value: Any
        do {
            value = try JSONSerialization.jsonObject(with: Data(bytes), options: [.fragmentsAllowed])
        } catch {
            throw APIError.badRequest("the body is not valid JSON")
        }
        try check(value, fields: fields, path: "")
    }

    private static func check(_ value: Any, fields: Fields, path: String) throws {
        guard let object = value as? [String: Any] else {
            throw APIError.badRequest(path.isEmpty ? "the body must be a JSON object" : "\(path) must be an object")
        }
        for (key, nested) in object {
            let name = path.isEmpty ? key : "\(path).\(key)"
            guard let known = fields.names[key] else {
                let expected = fields.names.keys.sorted().joined(separator: ", ")
                throw APIError.badRequest("unknown field '\(name)'; expected: \(expected)")
            }
            if let known, !(nested is NSNull) { try check(nested, fields: known, path: name) }
        }
    }

    /// A decoding error as one sentence naming the field.
    static func describe(_ error: DecodingError) -> String {
        func name(_ path: [any CodingKey]) -> String {
            path.map { $0.intValue.map { "[\($0)]" } ?? snake($0.stringValue) }.joined(separator: ".")
                .replacing(".[", with: "[")
        }
        switch error {
        case .typeMismatch(let type, let context):
            return "\(name(context.codingPath)) must be \(typeName(type))"
        case .valueNotFound(let type, let context):
            return "\(name(context.codingPath)) must be \(typeName(type)), not null"
        case .keyNotFound(let key, let context):
            return "missing field '\(name(context.codingPath + [key]))'"
        case .dataCorrupted(let context):
            let field = name(context.codingPath)
            return field.isEmpty ? "the body is not valid JSON" : "\(field) has a value out of range or not allowed"
        @unknown default:
            return "the body does not match what this request takes"
        }
    }

    /// `tenderedMinor` → `tendered_minor`, as the encoder writes field names.
    static func snake(_ name: String) -> String {
        var text = ""
        var previous: Character?
        for character in name {
            if character.isUppercase, let previous, !previous.isUppercase { text += "_" }
            text += character.lowercased()
            previous = character
        }
        return text
    }

    private static func typeName(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: "text"
        case is Int.Type, is Int64.Type: "a whole number"
        case is Bool.Type: "true or false"
        case is [String].Type: "a list of texts"
        default: "an object"
        }
    }
}
