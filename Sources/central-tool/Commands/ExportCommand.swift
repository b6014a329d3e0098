import AtomicFiles
import CLIKit
import Central
import Foundation
import SyncWire

struct Export: ParsableCommand {
    static let file = TypedArgument("FILE", help: "Where to write the export (mode 0600).")
    static let anonymize = FlagOption("--anonymize", help: "Replace people's data by pseudonyms (required).")
    static let keyFile = TypedOption.text(
        "--key-file", "FILE",
        help:
            "The HMAC key (at least 16 bytes): the same key gives the same pseudonyms across exports (default: a fresh key)."
    )
    static let force = FlagOption("--force", help: "Replace FILE if it exists (a plain file; never a key file).")
    static let configuration = CommandConfiguration(
        name: "export",
        abstract: "Write catalog, allocations and sales with customers, staff and card references pseudonymised.",
        discussion: """
            For migration tests: 'central import FILE' into an empty central reproduces the same counts and amounts
            per event, category and node. Emails, names, phones, staff names, refund reasons, idempotency keys and
            card references are replaced with HMAC-SHA256 pseudonyms: one customer stays one person. A full copy
            with personal data is a database backup (mariadb-dump), not an export.
            """,
        usage: "--anonymize FILE [--key-file FILE] [--force]", arguments: [file], options: [anonymize, keyFile, force])

    let context: CentralContext
    let file: OutputFile
    let key: [UInt8]

    init(_ arguments: ParsedArguments) throws {
        context = try CentralContext(arguments)
        let path: String = try arguments.required(Self.file)
        guard arguments.isSet(Self.anonymize) else {
            throw UsageError(
                "exports are anonymised: give --anonymize (a copy with personal data is a mariadb-dump backup)")
        }
        if let keyPath = try arguments.value(Self.keyFile) {
            let data: [UInt8]
            do {
                data = try SecretFile.read(keyPath, named: "--key-file")
            } catch let error as SecretFileError {
                throw UsageError(error.message)
            }
            guard data.count >= 16 else {
                throw UsageError("--key-file \(keyPath) holds \(data.count) bytes; at least 16")
            }
            key = data
        } else {
            key = Pseudonyms.freshKey()
        }
        file = try context.outputFile(
            path, replacing: arguments.isSet(Self.force), others: [try arguments.value(Self.keyFile)].compactMap { $0 })
    }

    func run() throws {
        let data = try CentralExport(connection: try context.connect()).export(
            pseudonyms: Pseudonyms(key: key), now: context.now)
        try file.write(Array(try JSONText.encode(data).utf8) + [10])
        context.output.emit(ExportSummary(file: file.path, orders: data.orders.count, customers: data.customers.count))
        {
            "Wrote \($0.orders) orders and \($0.customers) customers, pseudonymised, to \($0.file)."
        }
    }
}

private struct ExportSummary: Encodable {
    let file: String
    let orders: Int
    let customers: Int
}
