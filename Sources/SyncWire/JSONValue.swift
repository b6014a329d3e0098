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
    /// Members in any order (given in key order, they are written without a sort); nil values
    /// are left out, as `encodeIfPresent` leaves them out.
    case object([(key: String, value: JSONValue?)])

    /// The compact JSON text.
    public var text: String {
        var out = [UInt8]()
        out.reserveCapacity(1024)
        write(to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// Writes UTF-8 bytes: appending to a byte array costs a fraction of appending to a `String`.
    private func write(to out: inout [UInt8]) {
        switch self {
        case .string(let string): Self.writeString(string, to: &out)
        case .integer(let number): out.append(contentsOf: String(number).utf8)
        case .array(let elements):
            out.append(UInt8(ascii: "["))
            for (index, element) in elements.enumerated() {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                element.write(to: &out)
            }
            out.append(UInt8(ascii: "]"))
        case .object(let members):
            out.append(UInt8(ascii: "{"))
            var first = true
            let inOrder = zip(members, members.dropFirst()).allSatisfy {
                $0.key.utf8.lexicographicallyPrecedes($1.key.utf8)
            }
            for member in inOrder ? members : members.sorted(by: { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) })
            {
                guard let value = member.value else { continue }
                if !first { out.append(UInt8(ascii: ",")) }
                first = false
                Self.writeString(member.key, to: &out)
                out.append(UInt8(ascii: ":"))
                value.write(to: &out)
            }
            out.append(UInt8(ascii: "}"))
        }
    }

    /// A JSON string: quotes, backslashes and control characters escaped as `JSONEncoder` does.
    private static func writeString(_ string: String, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        defer { out.append(UInt8(ascii: "\"")) }
        guard string.utf8.contains(where: { $0 < 0x20 || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") })
        else {
            out.append(contentsOf: string.utf8)
            return
        }
        for byte in string.utf8 {
            switch byte {
            case UInt8(ascii: "\""): out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\"")])
            case UInt8(ascii: "\\"): out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\\")])
            case UInt8(ascii: "\n"): out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "n")])
            case UInt8(ascii: "\r"): out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "r")])
            case UInt8(ascii: "\t"): out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "t")])
            case 0x08: out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "b")])
            case 0x0C: out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "f")])
            case 0..<0x20:
                let hex = Array("0123456789abcdef".utf8)
                out.append(contentsOf: Array("\\u00".utf8))
                out.append(hex[Int(byte >> 4)])
                out.append(hex[Int(byte & 0xF)])
            default: out.append(byte)
            }
        }
    }
}
