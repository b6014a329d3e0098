import FoundationEssentials
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// Where a command's result goes: human text, or with `--json` one JSON document on stdout.
///
/// ```swift
/// Output(json: arguments.flag("--json")).emit(receipt) { "Order \($0.orderID) confirmed" }
/// ```
///
/// Writes never crash the process: a full disk or a closed pipe on stdout is remembered
/// (``failedWrite``) and reported by ``CommandLineTool`` after the command, whose outcome — a
/// sale already committed, say — stands.
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

    /// Writes to stdout unbuffered, so output and exit code always agree. A failed write is
    /// remembered, not fatal.
    public static func writeStandardOutput(_ text: String) {
        if let failure = write(text, to: STDOUT_FILENO) { failedWrites.record(failure) }
    }

    /// Writes bytes to stdout (a PDF, printer commands) as ``writeStandardOutput(_:)`` writes text.
    public static func writeStandardOutput(bytes: [UInt8]) {
        if let failure = write(bytes, to: STDOUT_FILENO) { failedWrites.record(failure) }
    }

    /// Writes to stderr (a failure there has nowhere to be told).
    public static func writeStandardError(_ text: String) {
        _ = write(text, to: STDERR_FILENO)
    }

    /// Why writing to stdout failed, if it did (`No space left on device`, `Broken pipe`).
    public static var failedWrite: String? { failedWrites.first }

    private static let failedWrites = FirstFailure()

    /// Writes all of `text`; returns the error's description when the descriptor refuses it.
    private static func write(_ text: String, to descriptor: Int32) -> String? {
        write(Array(text.utf8), to: descriptor)
    }

    /// Writes all of `bytes`; returns the error's description when the descriptor refuses them.
    private static func write(_ bytes: [UInt8], to descriptor: Int32) -> String? {
        var written = 0
        while written < bytes.count {
            let count = bytes.withUnsafeBytes {
                Glibc.write(descriptor, $0.baseAddress! + written, bytes.count - written)
            }
            if count < 0 {
                if errno == EINTR { continue }
                return String(cString: strerror(errno))
            }
            written += count
        }
        return nil
    }
}

/// The first failure recorded; later ones add nothing.
private final class FirstFailure: Sendable {
    private let value = Mutex<String?>(nil)

    func record(_ failure: String) { value.withLock { if $0 == nil { $0 = failure } } }
    var first: String? { value.withLock { $0 } }
}
