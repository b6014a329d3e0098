/// Header fields in the order they came, looked up without regard to case (RFC 9110 §5.1).
public struct HTTPHeaders: Sendable, Equatable, Sequence {
    public private(set) var fields: [(name: String, value: String)]

    public init(_ fields: [(name: String, value: String)] = []) { self.fields = fields }

    public static func == (lhs: HTTPHeaders, rhs: HTTPHeaders) -> Bool {
        lhs.fields.elementsEqual(rhs.fields) { $0.name == $1.name && $0.value == $1.value }
    }

    /// The value of `name`; several fields of that name joined by ", " (RFC 9110 §5.3).
    public subscript(name: String) -> String? {
        let values = self.values(name)
        return values.isEmpty ? nil : values.joined(separator: ", ")
    }

    /// Every value of `name`, in order.
    public func values(_ name: String) -> [String] {
        fields.filter { $0.name.utf8.count == name.utf8.count && $0.name.lowercased() == name.lowercased() }.map(
            \.value)
    }

    public mutating func add(_ name: String, _ value: String) { fields.append((name, value)) }

    public func makeIterator() -> IndexingIterator<[(name: String, value: String)]> { fields.makeIterator() }
}

/// What the client sent before the body: enough to choose who serves the request.
public struct HTTPRequestHead: Sendable, Equatable {
    /// `GET`, `POST`…, as sent (methods are case-sensitive).
    public let method: String
    /// The request target as sent: the path and the query.
    public let target: String
    /// The target's path, without the query.
    public var path: Substring { target.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)[0] }
    /// The query, without `?`, or nil.
    public var query: Substring? {
        let parts = target.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
        return parts.count == 2 ? parts[1] : nil
    }
    /// 0 for HTTP/1.0, 1 for HTTP/1.1.
    public let minorVersion: Int
    public let headers: HTTPHeaders
    /// The address of the peer that connected (an IPv4 or IPv6 address as text).
    public let peer: String

    public init(method: String, target: String, minorVersion: Int = 1, headers: HTTPHeaders, peer: String) {
        self.method = method
        self.target = target
        self.minorVersion = minorVersion
        self.headers = headers
        self.peer = peer
    }

    /// Whether the client wants the connection kept after this exchange.
    public var keepsAlive: Bool {
        let tokens = (headers["connection"] ?? "").lowercased().split(separator: ",").map {
            $0.trimmingCharacters(in: " \t")
        }
        return minorVersion >= 1 ? !tokens.contains("close") : tokens.contains("keep-alive")
    }
}

/// A whole request: its head and its body (chunked bodies already decoded).
public struct HTTPRequest: Sendable, Equatable {
    public let head: HTTPRequestHead
    public let body: [UInt8]

    public init(head: HTTPRequestHead, body: [UInt8] = []) {
        self.head = head
        self.body = body
    }

    public var method: String { head.method }
    public var path: Substring { head.path }
    public var headers: HTTPHeaders { head.headers }
    public var peer: String { head.peer }
}

extension StringProtocol {
    /// The text without the given characters at either end (this module needs no more of
    /// Foundation's trimming).
    func trimmingCharacters(in set: String) -> String {
        let scalars = Set(set.unicodeScalars)
        var text = Substring(self)
        while let first = text.unicodeScalars.first, scalars.contains(first) { text = text.dropFirst() }
        while let last = text.unicodeScalars.last, scalars.contains(last) { text = text.dropLast() }
        return String(text)
    }
}
