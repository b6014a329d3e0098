import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// What systemd listens on for `sd_notify` messages: a unix datagram socket bound at `path`
/// (mode 0777, as systemd's `/run/systemd/notify`), each message one datagram of `KEY=VALUE` lines.
public final class NotifySocket: @unchecked Sendable {  // the descriptor is used from the test's thread only
    public let path: String
    private let descriptor: Int32

    public init(path: String) throws {
        self.path = path
        descriptor = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        guard descriptor >= 0, bytes.count < MemoryLayout.size(ofValue: address.sun_path) else {
            throw SandboxError(message: "cannot make a notify socket at \(path)")
        }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (index, byte) in bytes.enumerated() { raw[index] = byte }
        }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        guard bound == 0, chmod(path, 0o777) == 0 else {
            throw SandboxError(message: "cannot bind \(path): \(String(cString: strerror(errno)))")
        }
    }

    deinit {
        close(descriptor)
        unlink(path)
    }

    /// The next message, or nil when none came within `timeout` seconds.
    public func receive(timeout: Double) -> String? {
        var deadline = timeval(tv_sec: Int(timeout), tv_usec: Int((timeout - timeout.rounded(.down)) * 1_000_000))
        setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &deadline, socklen_t(MemoryLayout<timeval>.size))
        var buffer = [UInt8](repeating: 0, count: 4096)
        let count = recv(descriptor, &buffer, buffer.count, 0)
        return count > 0 ? String(decoding: buffer[..<count], as: UTF8.self) : nil
    }

    /// Receives until a message holding the line `line` comes (true) or `timeout` passes (false);
    /// `seen` gets every message received on the way.
    public func wait(for line: String, timeout: Double, seen: (String) -> Void = { _ in }) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while deadline.timeIntervalSinceNow > 0 {
            guard let message = receive(timeout: max(0.01, deadline.timeIntervalSinceNow)) else { continue }
            seen(message)
            if message.split(separator: "\n").contains(Substring(line)) { return true }
        }
        return false
    }
}
