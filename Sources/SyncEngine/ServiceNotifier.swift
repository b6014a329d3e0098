import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// Tells systemd how the daemon is doing (`sd_notify(3)`'s protocol, without libsystemd): each
/// message is one datagram of `KEY=VALUE` lines sent to the unix socket named by `NOTIFY_SOCKET`
/// (a leading `@` names an abstract socket). Outside systemd (`NOTIFY_SOCKET` unset) every call
/// does nothing.
///
/// With `Type=notify` and `WatchdogSec=`, systemd sets `WATCHDOG_USEC` and expects `WATCHDOG=1`
/// within it, or kills and restarts the service: ``startWatchdog(isHealthy:)`` sends it every half
/// of that while `isHealthy` says the sync loop keeps its heartbeat, and stops sending once the
/// loop is wedged. Safe to use from any thread.
public final class ServiceNotifier: Sendable {
    /// Where the notifications go; nil when not started by systemd.
    public let socketPath: String?
    /// How often to send `WATCHDOG=1`: half of `WATCHDOG_USEC`; nil when systemd watches nothing
    /// (or watches another process, per `WATCHDOG_PID`).
    public let watchdogInterval: Double?
    /// Set by ``stopping()``; the watchdog's sleep is a relative wait on it (poll(2)), which a step
    /// of the wall clock does not stretch, as it would a semaphore's timed wait.
    private let stopped = StopSignal()
    /// Set by the watchdog's thread as it ends.
    private let finished = StopSignal()
    private let watching = Mutex(false)

    /// A notifier for the environment systemd gave this process.
    public init(environment: [String: String] = ProcessInfo.processInfo.environment) {
        let path = environment["NOTIFY_SOCKET"].flatMap { $0.isEmpty ? nil : $0 }
        socketPath = path
        let forUs = environment["WATCHDOG_PID"].map { Int32($0) == getpid() } ?? true
        if path != nil, forUs, let microseconds = environment["WATCHDOG_USEC"].flatMap(Double.init), microseconds > 0 {
            watchdogInterval = microseconds / 2_000_000
        } else {
            watchdogInterval = nil
        }
    }

    /// The service is up (`READY=1`), with a line for `systemctl status`.
    public func ready(status: String) { send("READY=1\nSTATUS=\(status)") }

    /// The service is shutting down (`STOPPING=1`); also ends the watchdog.
    public func stopping() {
        stopped.set()
        send("STOPPING=1")
        if watching.withLock({ $0 }) { finished.wait(seconds: 5) }
    }

    /// Sends `WATCHDOG=1` every ``watchdogInterval`` on a thread of its own, each time
    /// `isHealthy` holds, until ``stopping()``. Does nothing when systemd watches nothing.
    public func startWatchdog(isHealthy: @escaping @Sendable () -> Bool) {
        guard let interval = watchdogInterval else { return }
        let first = watching.withLock { watching in
            defer { watching = true }
            return !watching
        }
        guard first else { return }
        let thread = Thread { [self] in
            defer { finished.set() }
            repeat {
                if isHealthy() { send("WATCHDOG=1") }
                stopped.wait(seconds: interval)
            } while !stopped.isSet
        }
        thread.name = "watchdog"
        thread.start()
    }

    /// One datagram, never blocking: a receiver that does not read loses the message, as
    /// systemd's own clients do.
    @discardableResult
    func send(_ message: String) -> Bool {
        guard let socketPath else { return false }
        let descriptor = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard descriptor >= 0 else { return false }
        defer { close(descriptor) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        var path = Array(socketPath.utf8)
        if path.first == UInt8(ascii: "@") { path[0] = 0 }
        let capacity = MemoryLayout.size(ofValue: address.sun_path)
        guard path.count < capacity else { return false }
        withUnsafeMutableBytes(of: &address.sun_path) { bytes in
            for (index, byte) in path.enumerated() { bytes[index] = byte }
        }
        let length = socklen_t(MemoryLayout<sa_family_t>.size + path.count + (path.first == 0 ? 0 : 1))
        let bytes = Array(message.utf8)
        let sent = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                sendto(descriptor, bytes, bytes.count, Int32(MSG_NOSIGNAL | MSG_DONTWAIT), $0, length)
            }
        }
        return sent == bytes.count
    }
}
