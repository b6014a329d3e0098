import CLinux

#if canImport(Glibc)
    import Glibc
#endif

/// A non-blocking TCP socket listening on a ``ListenAddress``, and what its accepted sockets need.
enum ListeningSocket {
    /// Binds and listens; the descriptor and the port actually bound.
    static func open(_ address: ListenAddress, backlog: Int32) throws -> (descriptor: Int32, port: Int) {
        var hints = addrinfo()
        hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var found: UnsafeMutablePointer<addrinfo>?
        let resolved = getaddrinfo(address.host, String(address.port), &hints, &found)
        guard resolved == 0, let first = found else {
            throw HTTPServerError(
                message: "cannot listen on \(address): \(String(cString: gai_strerror(resolved)))")
        }
        defer { freeaddrinfo(found) }
        let descriptor = socket(
            first.pointee.ai_family,
            Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue)
                | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard descriptor >= 0 else {
            throw HTTPServerError(message: "cannot create a socket: \(String(cString: strerror(errno)))")
        }
        var on: Int32 = 1
        setsockopt(descriptor, SOL_SOCKET, SO_REUSEADDR, &on, socklen_t(MemoryLayout<Int32>.size))
        guard bind(descriptor, first.pointee.ai_addr, first.pointee.ai_addrlen) == 0, listen(descriptor, backlog) == 0
        else {
            let reason = String(cString: strerror(errno))
            close(descriptor)
            throw HTTPServerError(message: "cannot listen on \(address): \(reason)")
        }
        var bound = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        _ = withUnsafeMutablePointer(to: &bound) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(descriptor, $0, &length) }
        }
        return (descriptor, peer(bound).port)
    }

    /// Accepts one connection, non-blocking; nil with `errno` set when there is none or it failed.
    static func accept(_ listener: Int32) -> (descriptor: Int32, peer: String)? {
        var address = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let descriptor = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                clinux_accept4(
                    listener, $0, &length, Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue))
            }
        }
        guard descriptor >= 0 else { return nil }
        var on: Int32 = 1
        setsockopt(descriptor, Int32(IPPROTO_TCP), TCP_NODELAY, &on, socklen_t(MemoryLayout<Int32>.size))
        return (descriptor, peer(address).address)
    }

    /// The address (as text, an IPv4-mapped IPv6 address as IPv4) and port of `storage`.
    static func peer(_ storage: sockaddr_storage) -> (address: String, port: Int) {
        var text = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN) + 1)
        var storage = storage
        switch Int32(storage.ss_family) {
        case AF_INET:
            return withUnsafePointer(to: &storage) {
                $0.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { v4 in
                    var address = v4.pointee.sin_addr
                    inet_ntop(AF_INET, &address, &text, socklen_t(text.count))
                    return (Self.text(text), Int(UInt16(bigEndian: v4.pointee.sin_port)))
                }
            }
        case AF_INET6:
            return withUnsafePointer(to: &storage) {
                $0.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { v6 in
                    var address = v6.pointee.sin6_addr
                    inet_ntop(AF_INET6, &address, &text, socklen_t(text.count))
                    var shown = Self.text(text)
                    if shown.hasPrefix("::ffff:"), shown.contains(".") { shown = String(shown.dropFirst(7)) }
                    return (shown, Int(UInt16(bigEndian: v6.pointee.sin6_port)))
                }
            }
        default: return ("unknown", 0)
        }
    }

    /// A NUL-terminated C string as text.
    private static func text(_ characters: [CChar]) -> String {
        String(decoding: characters.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Raises this process's open-file limit to its hard limit (capped at `wanted`), so that a
    /// server configured for many connections can hold them.
    static func raiseDescriptorLimit(to wanted: Int) {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return }
        let target = min(rlim_t(wanted), limit.rlim_max)
        guard limit.rlim_cur < target else { return }
        limit.rlim_cur = target
        setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
    }
}

/// The listener could not start.
public struct HTTPServerError: Error, CustomStringConvertible {
    public let message: String
    public var description: String { message }
}
