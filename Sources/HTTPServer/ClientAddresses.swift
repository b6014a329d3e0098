/// Who a request came from: the peer, or, when the peer is a trusted reverse proxy, the address
/// that proxy says it served: the last entry of `X-Forwarded-For`, or the `for` of the last
/// element of `Forwarded` (RFC 7239), each of which the proxy appended. Neither header is
/// believed from anyone else: a client could write anything there.
public struct ClientAddresses: Sendable {
    public let trustedProxies: Set<String>

    public init(trustedProxies: Set<String> = []) { self.trustedProxies = trustedProxies }

    /// The client (`X-Forwarded-For`'s when a trusted proxy sends both headers).
    public func client(of head: HTTPRequestHead) -> String { clients(of: head).first ?? head.peer }

    /// Every address the request names for its client: the peer's alone, unless a trusted proxy
    /// names others. A proxy sets one of the two headers and may pass the other on from the
    /// client unchecked, so a decision for this machine alone asks that each names it.
    public func clients(of head: HTTPRequestHead) -> [String] {
        guard trustedProxies.contains(head.peer) else { return [head.peer] }
        var named = [String]()
        if let forwarded = head.headers["x-forwarded-for"],
            let last = forwarded.split(separator: ",").last?.trimmingCharacters(in: " \t"), !last.isEmpty
        {
            named.append(last)
        }
        if let forwarded = head.headers["forwarded"] { named.append(Self.forwardedFor(forwarded)) }
        return named.isEmpty ? [head.peer] : named
    }

    /// The `for` of the last element of a `Forwarded` field, without quotes, brackets or port
    /// (`for="[2001:db8::17]:4711"` is `2001:db8::17`); `unknown` when it names none (an
    /// obfuscated `_name` is returned as it is: neither is an address of this machine).
    static func forwardedFor(_ field: String) -> String {
        guard let element = field.split(separator: ",").last else { return "unknown" }
        for pair in element.split(separator: ";") {
            let parts = pair.split(separator: "=", maxSplits: 1)
            guard parts.count == 2, parts[0].trimmingCharacters(in: " \t").lowercased() == "for" else { continue }
            var node = Substring(parts[1].trimmingCharacters(in: " \t"))
            if node.hasPrefix("\""), node.hasSuffix("\""), node.count >= 2 { node = node.dropFirst().dropLast() }
            if node.hasPrefix("["), let end = node.firstIndex(of: "]") {
                return String(node[node.index(after: node.startIndex)..<end])
            }
            if node.filter({ $0 == ":" }).count == 1, let colon = node.firstIndex(of: ":") { node = node[..<colon] }
            return node.isEmpty ? "unknown" : String(node)
        }
        return "unknown"
    }
}
