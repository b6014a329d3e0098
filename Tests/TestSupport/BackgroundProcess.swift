import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A long-running process (a daemon) the test starts, signals and waits for.
/// Its stdout and stderr go to files in `logDirectory`, so nothing blocks on a full pipe; its
/// environment is `environment` over ``ProcessRunner/inheritedEnvironment``.
public final class BackgroundProcess: @unchecked Sendable {  // Process is thread-safe for these calls
    public let process = Process()
    public let stderrPath: String
    public let stdoutPath: String

    public init(_ executable: String, _ arguments: [String], environment: [String: String] = [:], logDirectory: String)
        throws
    {
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.environment = ProcessRunner.inheritedEnvironment.merging(environment) { _, new in new }
        let stem = logDirectory + "/\(UUID().uuidString.prefix(8))"
        (stderrPath, stdoutPath) = (stem + "-stderr.log", stem + "-stdout.log")
        for path in [stderrPath, stdoutPath] {
            guard FileManager.default.createFile(atPath: path, contents: nil) else {
                throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: path])
            }
        }
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: stderrPath))
        process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: stdoutPath))
        process.standardInput = FileHandle.nullDevice
        try process.run()
    }

    public var pid: Int32 { process.processIdentifier }

    /// Sends `signal` (SIGKILL, SIGTERM…).
    public func send(_ signal: Int32) { kill(process.processIdentifier, signal) }

    /// Waits for the process to end and returns its exit status (or the signal number for a kill).
    @discardableResult
    public func wait() -> Int32 {
        process.waitUntilExit()
        return process.terminationStatus
    }

    public var isRunning: Bool { process.isRunning }

    /// What it wrote to stderr so far.
    public var stderr: String { (try? String(contentsOfFile: stderrPath, encoding: .utf8)) ?? "" }

    /// What it wrote to stdout so far.
    public var stdout: String { (try? String(contentsOfFile: stdoutPath, encoding: .utf8)) ?? "" }

    deinit {
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
    }
}

/// Small network helpers for tests.
public enum Network {
    /// A TCP port on 127.0.0.1 that was free a moment ago.
    public static func freePort() -> Int {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(descriptor) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        _ = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(descriptor, $0, &length) }
        }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    /// `GET path` on 127.0.0.1:`port`; nil when nothing answers. Returns the status and the body.
    /// `timeout`: seconds each read may wait for the answer (nil once it passes).
    public static func get(port: Int, path: String, method: String = "GET", timeout: Int = 3) -> (
        status: Int, body: String
    )? {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(descriptor) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var timeout = timeval(tv_sec: timeout, tv_usec: 0)
        setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard connected == 0 else { return nil }
        let request = Array("\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".utf8)
        _ = request.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
        var received = [UInt8]()
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = read(descriptor, &buffer, buffer.count)
            if count <= 0 { break }
            received += buffer[0..<count]
        }
        let text = String(decoding: received, as: UTF8.self)
        guard let head = text.range(of: "\r\n\r\n"),
            let status = Int(text.split(separator: " ").dropFirst().first ?? "")
        else { return nil }
        return (status, String(text[head.upperBound...]))
    }
}

/// Polls `condition` every `interval` seconds (50 ms) until it holds or `timeout` seconds pass on
/// the monotonic clock; returns the seconds it took. The timeout is a safety net: the wait ends
/// on the condition, whatever the machine's speed.
@discardableResult
public func waitUntil(timeout: Double, every interval: Double = 0.05, _ condition: () throws -> Bool) rethrows
    -> Double?
{
    let clock = ContinuousClock()
    let start = clock.now
    func elapsed() -> Double {
        let duration = clock.now - start
        return Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }
    while elapsed() < timeout {
        if try condition() { return elapsed() }
        Thread.sleep(forTimeInterval: interval)  // a poll's pause: the condition orders the test
    }
    return try condition() ? elapsed() : nil
}
