import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// Logs to stderr, one line per event: `2026-11-25T05:00:00Z info push.applied records=500` or,
/// in JSON mode, `{"at":"…","level":"info","event":"push.applied","records":"500"}`.
/// Values are whatever the caller passes: never pass secrets.
public final class LineLogger: Sendable {
    /// Severity, least first.
    public enum Level: String, Sendable, CaseIterable, Comparable {
        case debug, info, warning, error

        public static func < (lhs: Level, rhs: Level) -> Bool {
            allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
        }
    }

    private let json: Bool
    private let minimumLevel: Level
    /// One line at a time on stderr.
    private let lock = Mutex(())

    /// A logger writing text lines, or JSON lines when `json`, of events at `minimumLevel` or above.
    public init(json: Bool, minimumLevel: Level = .info) {
        self.json = json
        self.minimumLevel = minimumLevel
    }

    /// Writes one event with its metadata, keys in sorted order, unless below the minimum level.
    public func log(_ level: Level, _ event: String, _ metadata: [String: String] = [:]) {
        guard level >= minimumLevel else { return }
        let at = Date().formatted(.iso8601)
        let line: String
        if json {
            var object = metadata
            object["at"] = at
            object["level"] = level.rawValue
            object["event"] = event
            let data =
                (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes]))
                ?? Data()
            line = String(decoding: data, as: UTF8.self)
        } else {
            let pairs = metadata.keys.sorted().map { key in
                let value = metadata[key]!.replacingOccurrences(of: "\n", with: " ")
                return value.contains(" ") || value.isEmpty
                    ? "\(key)=\"\(value.replacingOccurrences(of: "\"", with: "'"))\"" : "\(key)=\(value)"
            }
            line = ([at, level.rawValue, event] + pairs).joined(separator: " ")
        }
        // write(2), not FileHandle: a closed stderr must not end the daemon.
        let bytes = Array((line + "\n").utf8)
        lock.withLock { _ in _ = bytes.withUnsafeBytes { write(STDERR_FILENO, $0.baseAddress, $0.count) } }
    }

    /// An event of the normal course of things.
    public func info(_ event: String, _ metadata: [String: String] = [:]) { log(.info, event, metadata) }
    /// Something an operator should look at (a mode change, a retry, a rewound cursor).
    public func warning(_ event: String, _ metadata: [String: String] = [:]) { log(.warning, event, metadata) }
}
