import Foundation

/// Where a command's result goes: human text, or with `--json` one JSON document on stdout.
///
/// ```swift
/// Output(json: arguments.flag("--json")).emit(receipt) { "Order \($0.orderID) confirmed" }
/// ```
public struct Output: Sendable {
    /// True when `--json` was given.
    public let json: Bool

    /// An output mode.
    public init(json: Bool) { self.json = json }

    /// Prints `value` as JSON (snake_case keys, sorted) or as the text `render` makes of it.
    public func emit<T: Encodable>(_ value: T, text render: (T) -> String) {
        if json {
            Self.writeJSON(value)
        } else {
            let text = render(value)
            if !text.isEmpty { Self.writeStandardOutput(text + "\n") }
        }
    }

    /// One JSON document and a newline on stdout.
    public static func writeJSON<T: Encodable>(_ value: T) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.keyEncodingStrategy = .convertToSnakeCase
        do {
            let data = try encoder.encode(value)
            writeStandardOutput(String(decoding: data, as: UTF8.self) + "\n")
        } catch {
            writeStandardError("Error: cannot encode the result as JSON: \(error)\n")
        }
    }

    /// Writes to stdout unbuffered, so output and exit code always agree.
    public static func writeStandardOutput(_ text: String) {
        FileHandle.standardOutput.write(Data(text.utf8))
    }

    /// Writes to stderr.
    public static func writeStandardError(_ text: String) {
        FileHandle.standardError.write(Data(text.utf8))
    }
}
