// Build tool for the EmbedCentralSchema plugin: EmbedSQL OUTPUT.swift FILE.sql...
// Writes `EmbeddedCentralSchema.files`, the migrations in file-name order as (name, sql) pairs.
import Foundation

let arguments = CommandLine.arguments.dropFirst()
guard let output = arguments.first else {
    FileHandle.standardError.write(Data("usage: EmbedSQL OUTPUT.swift FILE.sql...\n".utf8))
    exit(2)
}
var entries = [String]()
for path in arguments.dropFirst() {
    let url = URL(fileURLWithPath: path)
    let sql = try String(contentsOf: url, encoding: .utf8)
    var hashes = "#"
    while sql.contains("\"\"\"" + hashes) { hashes += "#" }
    let name = url.deletingPathExtension().lastPathComponent
    entries.append("        (\"\(name)\", \(hashes)\"\"\"\n\(sql)\n\"\"\"\(hashes)),")
}
let source = """
    // Generated from SyncProtocol/mysql by the EmbedCentralSchema plugin. Do not edit.
    enum EmbeddedCentralSchema {
        static let files: [(name: String, sql: String)] = [
    \(entries.joined(separator: "\n"))
        ]
    }

    """
try source.write(toFile: output, atomically: true, encoding: .utf8)
