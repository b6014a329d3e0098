import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// `cli`: one `boxoffice sell` and one `boxoffice availability` process, start to exit, against
/// `sqlite3 DB 'select 1'`, as deployed (`Scripts/build-release`: a static executable); how many
/// times each flushes to disk; and both again with every flush made to cost 1 and 5 ms (an SSD or
/// SD card of a box-office PC takes 1–5 ms). A static executable ignores `LD_PRELOAD`, so flushes
/// are counted, and slowed, by `strace` (`--seccomp-bpf`: only `fsync` and `fdatasync` stop the
/// process); the slowed rows run the baseline under the same `strace`, whose own start they share.
enum CLIScenario {
    static func run(quick: Bool, directory: String) throws -> [Figure] {
        let runs = quick ? 5 : 41
        // Only the path is kept: the processes are timed with no other connection open, as at a
        // box office without the daemon (another connection would spare them the WAL's set-up).
        let path = try BenchNode(in: directory, name: "cli").path
        let session = directory + "/cli.session"
        let environment = ["BOXOFFICE_DB": path, "BOXOFFICE_SESSION_FILE": session]
        let login = try Tool.run("boxoffice", ["login", "root"], stdin: "bench-password\n", environment: environment)
        guard login.status == 0 else { throw BenchError("login failed: \(login.stderr)") }
        let commands = [
            ("sell", ["sell", "BENCH", "--category", "GA", "--qty", "1", "--payment", "cash"]),
            ("availability", ["availability", "BENCH"]),
        ]
        var figures = [Figure]()
        for delay in quick ? [0] : [0, 1, 5] {
            let slowed = delay == 0 ? [] : FlushTrace.arguments(delayMicroseconds: delay * 1000, log: "/dev/null")
            // Interleaved (sqlite3, sell, availability, sqlite3, …), so that a slow spell of the
            // machine slows the baseline as much as the commands it is compared with.
            var baselines = [Double]()
            var times = Array(repeating: [Double](), count: commands.count)
            for _ in 0..<runs {
                baselines.append(
                    try seconds {
                        try Tool.check("sqlite3", Tool.spawn(slowed, "/usr/bin/sqlite3", [path, "select 1"]))
                    })
                for (index, (name, arguments)) in commands.enumerated() {
                    times[index].append(
                        try seconds {
                            try Tool.check(
                                "boxoffice \(name)",
                                Tool.spawn(slowed, "boxoffice", arguments, environment: environment))
                        })
                }
            }
            let baseline = median(baselines)
            for (index, (name, arguments)) in commands.enumerated() {
                let times = times[index]
                figures.append(
                    Figure(
                        name: "one boxoffice \(name) process, flush \(delay) ms", unit: "ms",
                        value: median(times) * 1000,
                        baseline: baseline * 1000, baselineName: "sqlite3 'select 1'", target: delay == 0 ? 3 : nil,
                        lowerIsBetter: true))
                if delay == 0 {
                    let flushes = try (0..<runs).map { _ in
                        try FlushTrace.count(directory: directory) { trace in
                            try Tool.check(
                                "boxoffice \(name)", Tool.spawn(trace, "boxoffice", arguments, environment: environment)
                            )
                        }
                    }
                    figures.append(
                        Figure(
                            name: "  flushes per boxoffice \(name) process", unit: "flushes",
                            value: median(flushes.map(Double.init)), baseline: 1, baselineName: "needed for durability",
                            target: name == "sell" ? 2 : nil, lowerIsBetter: true))
                }
            }
        }
        try BenchNode.checkInvariants(at: path)
        return figures
    }
}

/// `strace` watching a process and its children for `fsync` and `fdatasync` only.
enum FlushTrace {
    /// The `strace` command line that logs each flush to `log`, after sleeping `delayMicroseconds`.
    static func arguments(delayMicroseconds: Int = 0, log: String) -> [String] {
        var arguments = ["/usr/bin/strace", "-f", "-qq", "--seccomp-bpf", "-e", "trace=fsync,fdatasync", "-o", log]
        if delayMicroseconds > 0 { arguments += ["-e", "inject=fsync,fdatasync:delay_enter=\(delayMicroseconds)"] }
        return arguments
    }

    /// How many times the process `run` starts (under the `strace` arguments it is given) flushes.
    static func count(directory: String, _ run: ([String]) throws -> Void) throws -> Int {
        let log = directory + "/flushes-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: log) }
        try run(arguments(log: log))
        return try String(contentsOfFile: log, encoding: .utf8).split(separator: "\n").count
    }
}

/// Runs the project's tools (found next to this binary) and system commands.
enum Tool {
    /// Runs `tool` (under `wrapper`, a command line such as `strace …`, when given) with its
    /// input and output on /dev/null and returns its exit status, by posix_spawn and waitpid: what
    /// is timed is the tool, not the launcher (Foundation's `Process` adds about 50 ms a run here,
    /// more than the tools themselves take).
    static func spawn(
        _ wrapper: [String] = [], _ tool: String, _ arguments: [String], environment: [String: String] = [:]
    ) throws -> Int32 {
        let tool = tool.hasPrefix("/") ? tool : binaries + "/" + tool
        let command = wrapper + [tool] + arguments
        let path = command[0]
        let merged = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
        let argv = command.map { strdup($0) } + [nil]
        let envp = merged.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { for pointer in argv + envp { free(pointer) } }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        for descriptor: Int32 in [0, 1, 2] {
            posix_spawn_file_actions_addopen(
                &actions, descriptor, "/dev/null", descriptor == 0 ? O_RDONLY : O_WRONLY, 0)
        }
        var pid = pid_t()
        let code = posix_spawn(&pid, path, &actions, nil, argv, envp)
        guard code == 0 else { throw BenchError("cannot start \(path): \(String(cString: strerror(code)))") }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        return (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
    }

    /// Throws unless `status`, what `spawn` returned for `what`, is 0.
    static func check(_ what: String, _ status: Int32) throws {
        guard status == 0 else { throw BenchError("\(what) failed with status \(status)") }
    }

    struct Result {
        let status: Int32
        let stdout: String
        let stderr: String
    }

    static let binaries = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        .deletingLastPathComponent().path

    static func run(_ tool: String, _ arguments: [String], stdin: String? = nil, environment: [String: String] = [:])
        throws -> Result
    {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: tool.hasPrefix("/") ? tool : binaries + "/" + tool)
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
        let output = Pipe()
        let errors = Pipe()
        let input = Pipe()
        process.standardOutput = output
        process.standardError = errors
        process.standardInput = input
        try process.run()
        if let stdin { input.fileHandleForWriting.write(Data(stdin.utf8)) }
        try? input.fileHandleForWriting.close()
        let out = output.fileHandleForReading.readDataToEndOfFile()
        let err = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Result(
            status: process.terminationStatus, stdout: String(decoding: out, as: UTF8.self),
            stderr: String(decoding: err, as: UTF8.self))
    }
}
