import Foundation

/// What a finished process left behind.
public struct ProcessResult: Sendable {
    public let status: Int32
    public let stdout: String
    public let stderr: String

    public init(status: Int32, stdout: String, stderr: String) {
        self.status = status
        self.stdout = stdout
        self.stderr = stderr
    }
}

/// Runs the package's real executables and tools, as a cashier's shell would.
public enum ProcessRunner {
    /// The folder the test bundle was built into, where `swift build` also puts the executables.
    public static let productsDirectory: String = {
        if let override = ProcessInfo.processInfo.environment["VENUENODE_BIN_DIR"] { return override }
        var url = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        while url.pathComponents.count > 1,
            !FileManager.default.fileExists(atPath: url.appendingPathComponent("boxoffice").path)
        {
            url.deleteLastPathComponent()
        }
        return url.path
    }()

    /// The environment a spawned process starts from: this process's, without the settings the
    /// package's tools read (`CENTRAL_*`, `BOXOFFICE_*`, `SYNCD_*`, `MAIL_*`, `RECONCILE_*`,
    /// `HEALTH_*`, as `Scripts/check-doc-commands` clears them), so that a central or a node the
    /// caller's shell names never reaches a test's tools: each test sets what it means.
    public static let inheritedEnvironment: [String: String] = ProcessInfo.processInfo.environment.filter {
        key, _ in
        !["BOXOFFICE_", "CENTRAL_", "SYNCD_", "MAIL_", "RECONCILE_", "HEALTH_"].contains { key.hasPrefix($0) }
    }

    /// The path of a built executable of this package.
    public static func product(_ name: String) -> String { productsDirectory + "/" + name }

    /// Runs `executable` with `arguments`, feeding `stdin`, with `environment` added to
    /// ``inheritedEnvironment``, and waits for it.
    public static func run(
        _ executable: String, _ arguments: [String], stdin: String? = nil,
        environment: [String: String] = [:]
    ) throws -> ProcessResult {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.environment = inheritedEnvironment.merging(environment) { _, new in new }
        let output = Pipe()
        let errors = Pipe()
        let input = Pipe()
        process.standardOutput = output
        process.standardError = errors
        process.standardInput = input
        try process.run()
        if let stdin { input.fileHandleForWriting.write(Data(stdin.utf8)) }
        try input.fileHandleForWriting.close()
        // Read both pipes to the end before waiting, so a full pipe never blocks the child.
        let group = DispatchGroup()
        nonisolated(unsafe) var out = Data()
        nonisolated(unsafe) var err = Data()
        DispatchQueue.global().async(group: group) { out = output.fileHandleForReading.readDataToEndOfFile() }
        err = errors.fileHandleForReading.readDataToEndOfFile()
        group.wait()
        process.waitUntilExit()
        return ProcessResult(
            status: process.terminationStatus, stdout: String(decoding: out, as: UTF8.self),
            stderr: String(decoding: err, as: UTF8.self))
    }

    /// `sqlite3 FILE .dump`: the database's whole content as SQL text. The shell waits up to
    /// 10 s for a lock (it has no busy timeout by default and would print a truncated dump).
    public static func dump(_ database: String) throws -> String {
        let result = try run("/usr/bin/sqlite3", ["-cmd", ".timeout 10000", database, ".dump"])
        precondition(
            result.status == 0 && !result.stdout.contains("/**** ERROR"),
            "sqlite3 .dump failed: \(result.stderr)\(result.stdout.suffix(200))")
        return result.stdout
    }
}
