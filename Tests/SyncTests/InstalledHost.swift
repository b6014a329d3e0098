import Foundation
import TestSupport

/// A host as an operator provisions and installs it, kept in a folder: `Tests/Helpers/unit-sandbox.py`
/// runs each command in an overlay of this machine's root whose changes (users, `/etc/venue`) stay
/// in `folder/upper`, with the built binaries at `/usr/local/bin` and `state` as `/var/lib/venue`.
/// Needs root.
struct InstalledHost {
    static let helper = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Helpers/unit-sandbox.py").path
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path

    let folder: String
    let state: String

    init(in directory: TemporaryDirectory, name: String) throws {
        folder = directory.file(name)
        state = directory.file(name + "-state")
        try FileManager.default.createDirectory(atPath: state, withIntermediateDirectories: true)
    }

    private var mounts: [String] {
        ["--bind", "\(state)=/var/lib/venue"]
            + ["boxoffice", "venue-syncd", "central"].flatMap {
                ["--install", "\(ProcessRunner.product($0))=/usr/local/bin/\($0)"]
            }
    }

    /// COMMAND as root on the host (installing, provisioning).
    func provision(_ command: [String], stdin: String? = nil) throws -> ProcessResult {
        try ProcessRunner.run(
            "/usr/bin/python3", [Self.helper, folder] + mounts + ["provision", "--"] + command, stdin: stdin)
    }

    /// COMMAND as `user` on the host, without a unit's sandbox (`runuser -u USER`).
    func run(as user: String, _ command: [String], stdin: String? = nil) throws -> ProcessResult {
        try ProcessRunner.run(
            "/usr/bin/python3", [Self.helper, folder] + mounts + ["exec", user, "--"] + command, stdin: stdin)
    }

    /// The unit's ExecStart as systemd runs it (`options`: the helper's `--credential`, `--replace`…).
    func start(unit: String, _ options: [String], logDirectory: String) throws -> BackgroundProcess {
        try BackgroundProcess(
            "/usr/bin/python3", [Self.helper, folder] + mounts + ["service", unit] + options,
            logDirectory: logDirectory)
    }

    /// A oneshot unit's ExecStart as systemd runs it, waited for.
    func runUnit(_ unit: String, _ options: [String]) throws -> ProcessResult {
        try ProcessRunner.run("/usr/bin/python3", [Self.helper, folder] + mounts + ["service", unit] + options)
    }

    /// Where a file the host wrote at `path` (outside `/var/lib/venue`) is kept.
    func file(_ path: String) -> String { folder + "/upper" + path }

    /// Sets `key=value` in the host's settings file at `path`, as an operator edits it.
    func set(_ settings: [String: String], in path: String) throws {
        let lines = try String(contentsOfFile: file(path), encoding: .utf8).split(separator: "\n").filter { line in
            !settings.keys.contains { line.hasPrefix($0 + "=") }
        }
        let text =
            (lines.map(String.init) + settings.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" })
            .joined(separator: "\n") + "\n"
        // Written in place: the provisioned owner (root:venue) and mode (0640) stay.
        try FileHandle(forWritingAtPath: file(path)).map { handle in
            try handle.truncate(atOffset: 0)
            try handle.write(contentsOf: Data(text.utf8))
            try handle.close()
        }
    }
}
