import Foundation

/// The system calls a real process made, in order, as `strace -f -y` lists them (one line each,
/// file descriptors with their paths): for tests of what reaches the disk or the wire, and when.
public struct SyscallTrace {
    /// One line per call.
    public let calls: [String]
    /// How the traced process ended.
    public let result: ProcessResult

    /// Runs `executable` under `strace`, tracing the calls named in `tracing` (`pwrite64,fdatasync`),
    /// with string arguments shown up to `stringLimit` bytes; the trace is kept in `directory`.
    public init(
        _ executable: String, _ arguments: [String], tracing: String, environment: [String: String] = [:],
        stringLimit: Int = 32, in directory: String
    ) throws {
        let file = directory + "/strace-\(UUID().uuidString).txt"
        result = try ProcessRunner.run(
            "/usr/bin/strace",
            ["-f", "-qq", "-y", "-s", String(stringLimit), "-o", file, "-e", "trace=\(tracing)", executable]
                + arguments, environment: environment)
        calls = try String(contentsOfFile: file, encoding: .utf8).split(separator: "\n").map(String.init)
    }

    /// Index of the first call at or after `start` to `call` whose line mentions `text`.
    public func first(_ call: String, mentioning text: String = "", from start: Int = 0) -> Int? {
        calls.indices.first { $0 >= start && calls[$0].contains("\(call)(") && calls[$0].contains(text) }
    }

    /// Index of the last call before `end` to `call` whose line mentions `text`.
    public func last(_ call: String, mentioning text: String = "", before end: Int) -> Int? {
        calls.indices.last { $0 < end && calls[$0].contains("\(call)(") && calls[$0].contains(text) }
    }
}
