/// A request body as JSON, read strictly (RFC 8259): members in the order sent, numbers as
/// written. Read before the body is decoded, so that what the decoder would take silently is
/// refused: a field sent twice (which a proxy or a log reading the first would see otherwise than
/// the node, which would take the last), nesting deeper than ``maximumDepth``.
indirect enum JSONValue {
    case object([(name: String, value: JSONValue)])
    case array([JSONValue])
    case string(String)
    /// As written: `1e30` stays `1e30`.
    case number(String)
    case bool(Bool)
    case null
}

/// Reads a ``JSONValue``; every refusal is 400 with one sentence.
struct JSONReader {
    /// Objects and arrays inside one another, at most: far more than any body of the API has, few
    /// enough that reading never runs out of a worker's stack.
    static let maximumDepth = 32

    private let bytes: [UInt8]
    private var index = 0
    private var depth = 0
    /// Where the reader is, for messages: field names and `[index]`.
    private var path: [String] = []

    private init(_ bytes: [UInt8]) { self.bytes = bytes }

    /// The document in `bytes`: one value, with nothing but white space around it.
    static func read(_ bytes: [UInt8]) throws -> JSONValue {
        guard String(validating: bytes, as: UTF8.self) != nil else {
            throw APIError.badRequest("the body is not valid JSON: it is not UTF-8")
        }
        var reader = JSONReader(bytes)
        reader.skipSpace()
        let value = try reader.value()
        reader.skipSpace()
        guard reader.index == bytes.count else { throw reader.malformed() }
        return value
    }

    /// `path` as a field name for people: `payment.tendered_minor`, `admissions[2].code`.
    static func name(_ path: [String]) -> String {
        path.reduce("") { name, part in
            part.hasPrefix("[") || name.isEmpty ? name + part : name + "." + part
        }
    }

    private var next: UInt8? { index < bytes.count ? bytes[index] : nil }

    private func malformed() -> APIError {
        APIError.badRequest("the body is not valid JSON (at byte \(index))")
    }

    private mutating func skipSpace() {
        while let byte = next, byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D { index += 1 }
    }

    private mutating func value() throws -> JSONValue {
        guard let next else { throw malformed() }
        switch next {
        case UInt8(ascii: "{"): return try object()
        case UInt8(ascii: "["): return try array()
        case UInt8(ascii: "\""): return .string(try string())
        case UInt8(ascii: "t"): return try literal("true", .bool(true))
        case UInt8(ascii: "f"): return try literal("false", .bool(false))
        case UInt8(ascii: "n"): return try literal("null", .null)
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number(try number())
        default: throw malformed()
        }
    }

    private mutating func enter() throws {
        depth += 1
        guard depth <= Self.maximumDepth else {
            throw APIError.badRequest("the body nests objects and lists deeper than \(Self.maximumDepth) levels")
        }
        index += 1
        skipSpace()
    }

    private mutating func object() throws -> JSONValue {
        try enter()
        var members: [(name: String, value: JSONValue)] = []
        var names = Set<String>()
        if next == UInt8(ascii: "}") {
            index += 1
            depth -= 1
            return .object(members)
        }
        while true {
            guard next == UInt8(ascii: "\"") else { throw malformed() }
            let name = try string()
            guard names.insert(name).inserted else {
                throw APIError.badRequest(
                    "the field '\(Self.name(path + [name]).prefix(80))' is sent twice; send each field once")
            }
            skipSpace()
            guard next == UInt8(ascii: ":") else { throw malformed() }
            index += 1
            skipSpace()
            path.append(name)
            members.append((name, try value()))
            path.removeLast()
            skipSpace()
            if next == UInt8(ascii: ",") {
                index += 1
                skipSpace()
            } else if next == UInt8(ascii: "}") {
                index += 1
                depth -= 1
                return .object(members)
            } else {
                throw malformed()
            }
        }
    }

    private mutating func array() throws -> JSONValue {
        try enter()
        var elements: [JSONValue] = []
        if next == UInt8(ascii: "]") {
            index += 1
            depth -= 1
            return .array(elements)
        }
        while true {
            path.append("[\(elements.count)]")
            elements.append(try value())
            path.removeLast()
            skipSpace()
            if next == UInt8(ascii: ",") {
                index += 1
                skipSpace()
            } else if next == UInt8(ascii: "]") {
                index += 1
                depth -= 1
                return .array(elements)
            } else {
                throw malformed()
            }
        }
    }

    private mutating func literal(_ word: StaticString, _ value: JSONValue) throws -> JSONValue {
        let text = UnsafeBufferPointer(start: word.utf8Start, count: word.utf8CodeUnitCount)
        guard bytes.count - index >= text.count, bytes[index..<index + text.count].elementsEqual(text) else {
            throw malformed()
        }
        index += text.count
        return value
    }

    /// `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`, as written.
    private mutating func number() throws -> String {
        let start = index
        if next == UInt8(ascii: "-") { index += 1 }
        if next == UInt8(ascii: "0") {
            index += 1
        } else {
            guard digits() > 0 else { throw malformed() }
        }
        if next == UInt8(ascii: ".") {
            index += 1
            guard digits() > 0 else { throw malformed() }
        }
        if next == UInt8(ascii: "e") || next == UInt8(ascii: "E") {
            index += 1
            if next == UInt8(ascii: "+") || next == UInt8(ascii: "-") { index += 1 }
            guard digits() > 0 else { throw malformed() }
        }
        return String(decoding: bytes[start..<index], as: UTF8.self)
    }

    private mutating func digits() -> Int {
        let start = index
        while let byte = next, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) { index += 1 }
        return index - start
    }

    /// A string after its opening quote, escapes resolved (`\u` pairs of surrogates joined; a lone
    /// one is malformed).
    private mutating func string() throws -> String {
        index += 1
        var text: [UInt8] = []
        while true {
            guard let byte = next else { throw malformed() }
            index += 1
            switch byte {
            case UInt8(ascii: "\""):
                return String(decoding: text, as: UTF8.self)
            case UInt8(ascii: "\\"):
                guard let escaped = next else { throw malformed() }
                index += 1
                switch escaped {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): text.append(escaped)
                case UInt8(ascii: "b"): text.append(0x08)
                case UInt8(ascii: "f"): text.append(0x0C)
                case UInt8(ascii: "n"): text.append(0x0A)
                case UInt8(ascii: "r"): text.append(0x0D)
                case UInt8(ascii: "t"): text.append(0x09)
                case UInt8(ascii: "u"): text += Array(String(try unicodeScalar()).utf8)
                default: throw malformed()
                }
            case 0..<0x20:
                throw malformed()
            default:
                text.append(byte)
            }
        }
    }

    /// The scalar of a `\uXXXX` escape (its `\u` read), or of a surrogate pair.
    private mutating func unicodeScalar() throws -> Unicode.Scalar {
        let first = try hex4()
        switch first {
        case 0xD800...0xDBFF:
            guard next == UInt8(ascii: "\\"), index + 1 < bytes.count, bytes[index + 1] == UInt8(ascii: "u") else {
                throw malformed()
            }
            index += 2
            let second = try hex4()
            guard (0xDC00...0xDFFF).contains(second),
                let scalar = Unicode.Scalar(0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00))
            else { throw malformed() }
            return scalar
        case 0xDC00...0xDFFF:
            throw malformed()
        default:
            guard let scalar = Unicode.Scalar(first) else { throw malformed() }
            return scalar
        }
    }

    private mutating func hex4() throws -> UInt32 {
        guard bytes.count - index >= 4 else { throw malformed() }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let byte = bytes[index]
            let digit: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
            default: throw malformed()
            }
            value = value << 4 | UInt32(digit)
            index += 1
        }
        return value
    }
}
