import FoundationEssentials
import SyncWire

/// An offline scanner's admissions file as `boxoffice checkin --import` reads it, under the rules
/// the node API applies to the same document sent as a request: at most
/// ``ScannerAdmissions/maximumBytes``, and no field the format does not have.
public enum ScannerFile {
    /// The file at `path`, refused unread past its limit (its size is looked at first).
    public static func read(_ path: String) throws -> ScannerAdmissions {
        let attributes: [FileAttributeKey: Any]
        do {
            attributes = try FileManager.default.attributesOfItem(atPath: path)
        } catch {
            throw TicketingError.notFound("cannot read \(path): no such file")
        }
        guard attributes[.type] as? FileAttributeType == .typeRegular else {
            throw TicketingError.invalidInput("\(path) is not a regular file")
        }
        let tooLarge = TicketingError.invalidInput(
            "\(path) is larger than an admissions file a node takes (\(ScannerAdmissions.maximumBytes) bytes, "
                + "as the API): split it into smaller files and import each")
        guard (attributes[.size] as? Int ?? 0) <= ScannerAdmissions.maximumBytes else { throw tooLarge }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw TicketingError.notFound("cannot read \(path)")
        }
        guard data.count <= ScannerAdmissions.maximumBytes else { throw tooLarge }
        return try decode(Array(data), named: path)
    }

    /// The document in `bytes` (the file `name`), its fields checked before it is decoded.
    public static func decode(_ bytes: [UInt8], named name: String) throws -> ScannerAdmissions {
        do {
            if let unknown = try unknownField(in: bytes) { throw TicketingError.invalidInput("\(name): \(unknown)") }
            return try JSONText.decoder().decode(ScannerAdmissions.self, from: Data(bytes))
        } catch let error as TicketingError {
            throw error
        } catch {
            throw TicketingError.invalidInput("\(name) is not an offline scanner's admissions file: \(error)")
        }
    }

    /// The first field of the document in `bytes` that the format does not have, in the document
    /// or in one of its admissions (`unknown field 'admissions[2].gaet'; expected: at, code,
    /// gate`), or nil: the one rule `checkin --import` and the node API's import apply. Throws
    /// when `bytes` is no JSON object.
    public static func unknownField(in bytes: [UInt8]) throws -> String? {
        let shape = try JSONDecoder().decode(Shape.self, from: Data(bytes))
        if let unknown = shape.fields.subtracting(ScannerAdmissions.fieldNames).sorted().first {
            return "unknown field '\(unknown.prefix(40))'; expected: "
                + ScannerAdmissions.fieldNames.sorted().joined(separator: ", ")
        }
        for (index, admission) in (shape.admissions ?? []).enumerated() {
            if let unknown = admission.fields.subtracting(ScannerAdmissions.Admission.fieldNames).sorted().first {
                return "unknown field 'admissions[\(index)].\(unknown.prefix(40))'; expected: "
                    + ScannerAdmissions.Admission.fieldNames.sorted().joined(separator: ", ")
            }
        }
        return nil
    }

    /// The field names of the document and of each admission, whatever their values.
    private struct Shape: Decodable {
        let fields: Set<String>
        let admissions: [Fields]?

        /// The names of an object's fields; none for a value that is no object (decoding says so).
        struct Fields: Decodable {
            let fields: Set<String>

            init(from decoder: any Decoder) throws {
                fields = Set((try? decoder.container(keyedBy: AnyKey.self))?.allKeys.map(\.stringValue) ?? [])
            }
        }

        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: AnyKey.self)
            fields = Set(container.allKeys.map(\.stringValue))
            admissions = try? container.decode([Fields].self, forKey: AnyKey(stringValue: "admissions"))
        }
    }

    private struct AnyKey: CodingKey {
        let stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }
}
