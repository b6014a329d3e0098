import FoundationEssentials
import SyncWire

#if canImport(Glibc)
    import Glibc
#endif

/// An offline scanner's admissions file as `boxoffice checkin --import` reads it, under the rules
/// the node API applies to the same document sent as a request: at most
/// ``ScannerAdmissions/maximumBytes``, and no field the format does not have.
public enum ScannerFile {
    /// The file at `path`, read no further than its limit.
    public static func read(_ path: String) throws -> ScannerAdmissions {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY)
        guard descriptor >= 0 else {
            throw TicketingError.notFound("cannot read \(path): \(String(cString: strerror(errno)))")
        }
        defer { close(descriptor) }
        var info = stat()
        guard fstat(descriptor, &info) == 0, info.st_mode & S_IFMT == S_IFREG else {
            throw TicketingError.invalidInput("\(path) is not a regular file")
        }
        var bytes = [UInt8]()
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let count = Glibc.read(descriptor, &buffer, buffer.count)
            if count < 0, errno == EINTR { continue }
            guard count >= 0 else {
                throw TicketingError.notFound("cannot read \(path): \(String(cString: strerror(errno)))")
            }
            if count == 0 { break }
            bytes += buffer[..<count]
            guard bytes.count <= ScannerAdmissions.maximumBytes else {
                throw TicketingError.invalidInput(
                    "\(path) is larger than an admissions file a node takes (\(ScannerAdmissions.maximumBytes) bytes, "
                        + "as the API): split it into smaller files and import each")
            }
        }
        return try decode(bytes, named: path)
    }

    /// The document in `bytes` (the file `name`), its fields checked before it is decoded.
    public static func decode(_ bytes: [UInt8], named name: String) throws -> ScannerAdmissions {
        let data = Data(bytes)
        do {
            let shape = try JSONDecoder().decode(Shape.self, from: data)
            if let unknown = shape.fields.subtracting(ScannerAdmissions.fieldNames).sorted().first {
                throw TicketingError.invalidInput(
                    "\(name): unknown field '\(unknown.prefix(40))'; expected: "
                        + ScannerAdmissions.fieldNames.sorted().joined(separator: ", "))
            }
            for (index, admission) in (shape.admissions ?? []).enumerated() {
                if let unknown = admission.fields.subtracting(ScannerAdmissions.Admission.fieldNames).sorted().first {
                    throw TicketingError.invalidInput(
                        "\(name): unknown field 'admissions[\(index)].\(unknown.prefix(40))'; expected: "
                            + ScannerAdmissions.Admission.fieldNames.sorted().joined(separator: ", "))
                }
            }
            return try JSONText.decoder().decode(ScannerAdmissions.self, from: data)
        } catch let error as TicketingError {
            throw error
        } catch {
            throw TicketingError.invalidInput("\(name) is not an offline scanner's admissions file: \(error)")
        }
    }

    /// The field names of the document and of each admission, whatever their values.
    private struct Shape: Decodable {
        let fields: Set<String>
        let admissions: [Fields]?

        struct Fields: Decodable {
            let fields: Set<String>

            init(from decoder: any Decoder) throws {
                fields = Set(try decoder.container(keyedBy: AnyKey.self).allKeys.map(\.stringValue))
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
