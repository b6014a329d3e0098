/// A JSON value built by hand, written exactly as ``JSONText/encode(_:)`` writes the `Encodable`
/// value it stands for: keys sorted, compact, slashes unescaped, absent values left out.
///
/// For payloads written on every sale, where Foundation's `JSONEncoder` machinery (boxes, key
/// conversion, dynamic casts) costs more than the rest of the encoding; tests hold each such
/// payload byte-equal to what `JSONText.encode` writes.
public enum JSONValue: Sendable {
    case string(String)
    case integer(Int64)
    case array([JSONValue])
    /// Members in any order; nil values are left out, as `encodeIfPresent` leaves them out.
    case object([(key: String, value: JSONValue?)])

    /// The compact JSON text.
    public var text: String {
        var out = ""
        write(to: &out)
        return out
    }

    private func write(to out: inout String) {
        switch self {
        case .string(let string): Self.writeString(string, to: &out)
        case .integer(let number): out += String(number)
        case .array(let elements):
            out += "["
            for (index, element) in elements.enumerated() {
                if index > 0 { out += "," }
                element.write(to: &out)
            }
            out += "]"
        case .object(let members):
            out += "{"
            var first = true
            for member in members.sorted(by: { $0.key < $1.key }) {
                guard let value = member.value else { continue }
                if !first { out += "," }
                first = false
                Self.writeString(member.key, to: &out)
                out += ":"
                value.write(to: &out)
            }
            out += "}"
        }
    }

    /// A JSON string: quotes, backslashes and control characters escaped as `JSONEncoder` does.
    private static func writeString(_ string: String, to out: inout String) {
        out += "\""
        defer { out += "\"" }
        guard string.utf8.contains(where: { $0 < 0x20 || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") })
        else {
            out += string
            return
        }
        for scalar in string.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "\u{08}": out += "\\b"
            case "\u{0C}": out += "\\f"
            case "\u{00}"..."\u{1F}":
                let hex = String(scalar.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
    }
}
