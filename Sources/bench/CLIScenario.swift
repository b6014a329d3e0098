import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// `cli`: one `boxoffice sell` and one `boxoffice availability` process, start to exit, against
/// `sqlite3 DB 'select 1'`; and how many times each flushes to disk, with flushes made to cost
/// 0, 1 and 5 ms by an `LD_PRELOAD` shim built here (an SSD or SD card of a box-office PC takes 1–5 ms).
enum CLIScenario {
    static func run(quick: Bool, directory: String) throws -> [Figure] {
        let runs = quick ? 5 : 41
        // Only the path is kept: the processes are timed with no other connection open, as at a
        // box office without the daemon (another connection would spare them the WAL's set-up).
        let path = try BenchNode(in: directory, name: "cli").path
        let session = directory + "/cli.session"
        let login = try Tool.run(
            "boxoffice", ["login", "root"], stdin: "bench-password\n", environment: environment(path, session))
        guard login.status == 0 else { throw BenchError("login failed: \(login.stderr)") }
        let shim = try FlushShim(in: directory)
        var figures = [Figure]()
        for delay in quick ? [0] : [0, 1, 5] {
            var shimmed = environment(path, session)
            shimmed["LD_PRELOAD"] = shim.library
            shimmed["FLUSH_DELAY_US"] = String(delay * 1000)
            let baseline = median(
                try (0..<runs).map { _ in
                    try seconds {
                        _ = try Tool.spawn("/usr/bin/sqlite3", [path, "select 1"], environment: shimmed)
                    }
                })
            for (name, arguments) in [
                ("sell", ["sell", "BENCH", "--category", "GA", "--qty", "1", "--payment", "cash"]),
                ("availability", ["availability", "BENCH"]),
            ] {
                var flushes = [Int]()
                let times = try (0..<runs).map { _ -> Double in
                    let counter = directory + "/flushes-\(UUID().uuidString)"
                    var environment = shimmed
                    environment["FLUSH_COUNT_FILE"] = counter
                    var status: Int32 = -1
                    let elapsed = try seconds {
                        status = try Tool.spawn("boxoffice", arguments, environment: environment)
                    }
                    guard status == 0 else {
                        let again = try Tool.run("boxoffice", arguments, environment: environment)
                        throw BenchError("boxoffice \(name) failed (\(status)): \(again.stderr)")
                    }
                    flushes.append(
                        Int(
                            (try? String(contentsOfFile: counter, encoding: .utf8))?.trimmingCharacters(
                                in: .whitespacesAndNewlines) ?? "") ?? -1)
                    return elapsed
                }
                figures.append(
                    Figure(
                        name: "one boxoffice \(name) process, flush \(delay) ms", unit: "ms",
                        value: median(times) * 1000,
                        baseline: baseline * 1000, baselineName: "sqlite3 'select 1'", target: 3, lowerIsBetter: true))
                figures.append(
                    Figure(
                        name: "  flushes per boxoffice \(name) process", unit: "flushes",
                        value: Double(median(flushes.map(Double.init))),
                        baseline: 1, baselineName: "needed for durability", target: name == "sell" ? 2 : nil,
                        lowerIsBetter: true))
            }
        }
        try BenchNode.checkInvariants(at: path)
        return figures
    }

    static func environment(_ database: String, _ session: String) -> [String: String] {
        ["BOXOFFICE_DB": database, "BOXOFFICE_SESSION_FILE": session]
    }
}

/// An `LD_PRELOAD` library, compiled here with `cc`, that makes every fsync and fdatasync sleep
/// `FLUSH_DELAY_US` microseconds first and counts them into `FLUSH_COUNT_FILE` at exit.
struct FlushShim {
    let library: String

    init(in directory: String) throws {
        let source = directory + "/flush-shim.c"
        library = directory + "/flush-shim.so"
        try """
        #define _GNU_SOURCE
        #include <dlfcn.h>
        #include <stdio.h>
        #include <stdlib.h>
        #include <unistd.h>
        static int flushes;
        static void pause_for_flush(void) {
            const char *delay = getenv("FLUSH_DELAY_US");
            if (delay) usleep((useconds_t)atoi(delay));
            __atomic_add_fetch(&flushes, 1, __ATOMIC_SEQ_CST);
        }
        int fsync(int fd) {
            static int (*real)(int);
            if (!real) real = (int (*)(int))dlsym(RTLD_NEXT, "fsync");
            pause_for_flush();
            return real(fd);
        }
        int fdatasync(int fd) {
            static int (*real)(int);
            if (!real) real = (int (*)(int))dlsym(RTLD_NEXT, "fdatasync");
            pause_for_flush();
            return real(fd);
        }
        __attribute__((destructor)) static void report(void) {
            const char *path = getenv("FLUSH_COUNT_FILE");
            if (!path) return;
            FILE *file = fopen(path, "w");
            if (file) { fprintf(file, "%d\\n", flushes); fclose(file); }
        }
        """.write(toFile: source, atomically: true, encoding: .utf8)
        let compile = try Tool.run("/usr/bin/cc", ["-shared", "-fPIC", "-O2", "-o", library, source, "-ldl"])
        guard compile.status == 0 else { throw BenchError("cannot build the flush shim: \(compile.stderr)") }
    }
}

/// Runs the project's tools (found next to this binary) and system commands.
enum Tool {
    /// Runs `tool` with its input and output on /dev/null and returns its exit status, by
    /// posix_spawn and waitpid: what is timed is the tool, not the launcher (Foundation's
    /// `Process` adds about 50 ms a run here, more than the tools themselves take).
    static func spawn(_ tool: String, _ arguments: [String], environment: [String: String]) throws -> Int32 {
        let path = tool.hasPrefix("/") ? tool : binaries + "/" + tool
        let merged = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
        let argv = ([path] + arguments).map { strdup($0) } + [nil]
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
