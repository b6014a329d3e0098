/// Who a request came from: the peer, or, when the peer is a trusted reverse proxy, the address
/// that proxy says it served (the last entry of `X-Forwarded-For`, which the proxy appended).
/// `X-Forwarded-For` from anyone else is ignored: a client could write anything there.
public struct ClientAddresses: Sendable {
    public let trustedProxies: Set<String>

    public init(trustedProxies: Set<String> = []) { self.trustedProxies = trustedProxies }

    public func client(of head: HTTPRequestHead) -> String {
        guard trustedProxies.contains(head.peer), let forwarded = head.headers["x-forwarded-for"],
            let last = forwarded.split(separator: ",").last?.trimmingCharacters(in: " \t"), !last.isEmpty
        else { return head.peer }
        return last
    }
}
