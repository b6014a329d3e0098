import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A real process stopped at a chosen point of its work: run under `strace`, which sends it a
/// signal at its `occurrence`-th call to `call`. With SIGSTOP the call runs and the process then stands still, until the test continues
/// it (``resume()``) or kills it (``kill()``): the test acts in between, at a point it knows. A
/// fatal signal (SIGKILL) ends the process before the call runs. Its output goes to files.
public final class SyscallStop: @unchecked Sendable {  // Process is thread-safe for these calls
    private let process = Process()
    private let tracePath: String
    private let stdoutPath: String
    private let stderrPath: String

    public init(
        _ executable: String, _ arguments: [String], at call: String, occurrence: Int = 1, signal: String = "SIGSTOP",
        environment: [String: String] = [:], in directory: String
    ) throws {
        let stem = directory + "/stop-\(UUID().uuidString.prefix(8))"
        (tracePath, stdoutPath, stderrPath) = (stem + ".trace", stem + ".out", stem + ".err")
        for file in [stdoutPath, stderrPath] {
            guard FileManager.default.createFile(atPath: file, contents: nil) else {
                throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: file])
            }
        }
        process.executableURL = URL(fileURLWithPath: "/usr/bin/strace")
        process.arguments =
            [
                "-f", "-qq", "-o", tracePath, "-e", "trace=\(call)", "-e",
                "inject=\(call):signal=\(signal):when=\(occurrence)",
            ]
            + [executable] + arguments
        process.environment = ProcessRunner.inheritedEnvironment.merging(environment) { _, new in new }
        process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: stdoutPath))
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: stderrPath))
        process.standardInput = FileHandle.nullDevice
        try process.run()
    }

    /// What strace wrote so far: the calls traced and the signals.
    public var trace: String { (try? String(contentsOfFile: tracePath, encoding: .utf8)) ?? "" }

    /// True once the process stands still at the call (within a generous `timeout` seconds);
    /// false when it ended or never got there.
    public func waitUntilStopped(timeout: Double = 60) -> Bool {
        waitUntil(timeout: timeout) { trace.contains("--- stopped by SIGSTOP ---") || !process.isRunning } != nil
            && process.isRunning
    }

    /// True once the process was sent the signal at the call (a fatal one ends it there).
    public var wasSignalled: Bool { trace.contains("--- SIG") || trace.contains("+++ killed by") }

    /// The traced process (strace's child), as the trace names it.
    public var tracedPID: Int32? {
        trace.split(separator: "\n").first.flatMap { $0.split(separator: " ").first }.flatMap { Int32($0) }
    }

    /// Lets a stopped process go on.
    public func resume() {
        if let pid = tracedPID { Glibc.kill(pid, SIGCONT) }
    }

    /// Kills the process where it stands.
    public func kill() {
        if let pid = tracedPID { Glibc.kill(pid, SIGKILL) }
    }

    /// Waits for the process to end: its exit status (strace's, which is the process's, or the
    /// number of the signal that killed it) and output.
    public func wait() -> ProcessResult {
        process.waitUntilExit()
        return ProcessResult(
            status: process.terminationStatus,
            stdout: (try? String(contentsOfFile: stdoutPath, encoding: .utf8)) ?? "",
            stderr: (try? String(contentsOfFile: stderrPath, encoding: .utf8)) ?? "")
    }

    deinit {
        if process.isRunning {
            kill()
            process.terminate()
            process.waitUntilExit()
        }
    }
}
