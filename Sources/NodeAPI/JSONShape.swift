import SyncWire

/// The fields a JSON object may hold, checked before decoding so that a misspelt field is refused
/// by name rather than ignored.
enum JSONShape {
    /// Field names, each with the fields of the object it holds, if it holds one.
    struct Fields: Sendable {
        let names: [String: Fields?]
        init(_ names: [String: Fields?]) { self.names = names }
    }

    /// Refuses (400) a document that is not an object of `fields`, recursively.
    static func check(_ document: JSONValue, fields: Fields) throws {
        try check(document, fields: fields, path: "")
    }

    private static func check(_ value: JSONValue, fields: Fields, path: String) throws {
        guard case .object(let members) = value else {
            throw APIError.badRequest(path.isEmpty ? "the body must be a JSON object" : "\(path) must be an object")
        }
        for (key, nested) in members {
            let name = path.isEmpty ? key : "\(path).\(key)"
            guard let known = fields.names[key] else {
                let expected = fields.names.keys.sorted().joined(separator: ", ")
                throw APIError.badRequest("unknown field '\(name.prefix(80))'; expected: \(expected)")
            }
            if let known, !nested.isNull { try check(nested, fields: known, path: name) }
        }
    }

    /// What to answer for a body `document` the decoder refused. The decoder says only "not valid
    /// JSON", naming no field, for a number that fits no 64-bit whole number (`1e30`,
    /// `9223372036854775808`, `1.5`): the first such number is named, 422 when it is out of range,
    /// 400 when it is not whole.
    static func refusal(of error: DecodingError, in document: JSONValue) -> APIError {
        if case .dataCorrupted(let context) = error, context.codingPath.isEmpty,
            let (path, text) = document.firstNumber(where: { !Self.isWholeNumber($0) })
        {
            let name = JSONReader.name(path)
            let value = Double(text) ?? .infinity
            if value.isFinite, abs(value) < 9.2e18, value.rounded() != value {
                return APIError.badRequest("\(name) must be a whole number, not \(text.prefix(40))")
            }
            return APIError(
                status: 422, code: "invalid_input",
                message: "\(name) is out of range: \(text.prefix(40)) is beyond what a 64-bit whole number holds")
        }
        return APIError.badRequest(describe(error))
    }

    /// True for a number the decoder takes as a 64-bit whole number (`1e2` among them).
    static func isWholeNumber(_ text: String) -> Bool {
        if Int64(text) != nil { return true }
        guard let value = Double(text) else { return false }
        return value.isFinite && value.rounded() == value && abs(value) < 9.2e18
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

extension JSONValue {
    var isNull: Bool {
        if case .null = self { true } else { false }
    }

    /// The first number, in the order written, whose text `matches`, with where it is.
    func firstNumber(where matches: (String) -> Bool, at path: [String] = []) -> ([String], String)? {
        switch self {
        case .number(let text): return matches(text) ? (path, text) : nil
        case .object(let members):
            for (name, value) in members {
                if let found = value.firstNumber(where: matches, at: path + [name]) { return found }
            }
            return nil
        case .array(let elements):
            for (index, value) in elements.enumerated() {
                if let found = value.firstNumber(where: matches, at: path + ["[\(index)]"]) { return found }
            }
            return nil
        case .string, .bool, .null: return nil
        }
    }
}
