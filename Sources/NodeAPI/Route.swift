import HTTPServer
import Ticketing

/// One operation of the API: its method and path template (`/v1/events/{event}/availability`),
/// who may call it, how a retry is recognised, and what it does.
struct Route: Sendable {
    /// How a write is made safe to retry.
    enum Retry: Sendable {
        /// A read: nothing to make safe.
        case read
        /// A write that needs no key: signing in (signing in twice harms nothing) and out.
        case unkeyed
        /// The operation keeps the key itself, as the CLI's `--idempotency-key` (a sale, a hold's
        /// confirmation): a retry gets the original receipt, marked replayed.
        case saleKey
        /// The answer is kept under the key in the transaction of the write (``IdempotentAnswers``).
        case keptAnswer
    }

    let method: String
    let template: PathTemplate
    /// False only for signing in (and the document): every other route needs a session.
    let needsSession: Bool
    let retry: Retry
    let handle: @Sendable (APICall) throws -> APIAnswer

    init(
        _ method: String, _ template: String, session: Bool = true, retry: Retry = .read,
        _ handle: @escaping @Sendable (APICall) throws -> APIAnswer
    ) {
        self.method = method
        self.template = PathTemplate(template)
        needsSession = session
        self.retry = retry
        self.handle = handle
    }

    /// True for a write that needs an `Idempotency-Key`.
    var isWrite: Bool {
        switch retry {
        case .read, .unkeyed: false
        case .saleKey, .keptAnswer: true
        }
    }
}

/// A path with `{name}` segments standing for values.
struct PathTemplate: Sendable, Equatable, CustomStringConvertible {
    let segments: [Segment]

    enum Segment: Sendable, Equatable {
        case literal(String)
        case parameter(String)
    }

    init(_ text: String) {
        segments = text.split(separator: "/").map { part in
            part.hasPrefix("{") && part.hasSuffix("}")
                ? .parameter(String(part.dropFirst().dropLast())) : .literal(String(part))
        }
    }

    var description: String {
        "/"
            + segments.map {
                switch $0 {
                case .literal(let text): text
                case .parameter(let name): "{\(name)}"
                }
            }.joined(separator: "/")
    }

    /// The values of the parameters when `path` fits the template (percent-decoded); nil otherwise.
    func match(_ path: Substring) -> [String: String]? {
        let parts = path.split(separator: "/", omittingEmptySubsequences: false).dropFirst()
        guard parts.count == segments.count else { return nil }
        var values = [String: String]()
        for (segment, part) in zip(segments, parts) {
            switch segment {
            case .literal(let text): guard part == text else { return nil }
            case .parameter(let name):
                guard let value = PercentDecoding.decode(part), !value.isEmpty else { return nil }
                values[name] = value
            }
        }
        return values
    }
}

/// `%XX` escapes of a URL path or query (RFC 3986 §2.1); `+` stays itself in a path.
enum PercentDecoding {
    /// The decoded text, or nil when an escape is malformed or the bytes are not UTF-8.
    static func decode(_ text: Substring, plusIsSpace: Bool = false) -> String? {
        var bytes = [UInt8]()
        var iterator = Array(text.utf8).makeIterator()
        while let byte = iterator.next() {
            if byte == UInt8(ascii: "%") {
                guard let high = iterator.next().flatMap(hex), let low = iterator.next().flatMap(hex) else {
                    return nil
                }
                bytes.append(high << 4 | low)
            } else if plusIsSpace, byte == UInt8(ascii: "+") {
                bytes.append(32)
            } else {
                bytes.append(byte)
            }
        }
        return String(validating: bytes, as: UTF8.self)
    }

    /// A query string's `name=value` pairs; nil when one is malformed. A name given twice keeps
    /// its last value.
    static func query(_ text: Substring?) -> [String: String]? {
        var pairs = [String: String]()
        for pair in (text ?? "").split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard let name = decode(parts[0], plusIsSpace: true), !name.isEmpty,
                let value = decode(parts.count == 2 ? parts[1] : "", plusIsSpace: true)
            else { return nil }
            pairs[name] = value
        }
        return pairs
    }

    private static func hex(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
