import Foundation
import TestSupport
import Testing

/// `Scripts/check-tree` finds a file opened or read by its path outside EdgeStore, in Swift and
/// in C: were it the node database (the daemon's `/metrics` reading it, say), its close would drop
/// the daemon's SQLite locks, and another process would then delete the WAL the daemon writes.
@Suite struct CheckTreeTests {
    static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Scripts/check-tree").path

    /// `Scripts/check-tree` run on a repository holding only `file` with `line` in it: its exit
    /// status and what it wrote to stderr.
    static func check(_ file: String, _ line: String) throws -> ProcessResult {
        let directory = TemporaryDirectory()
        try FileManager.default.createDirectory(
            atPath: directory.file("Scripts"), withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: script, toPath: directory.file("Scripts/check-tree"))
        let path = directory.file(file)
        try FileManager.default.createDirectory(
            atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try (line + "\n").write(toFile: path, atomically: true, encoding: .utf8)
        for arguments in [["init", "-q"], ["add", "."]] {
            let git = try ProcessRunner.run("/usr/bin/git", ["-C", directory.path] + arguments)
            precondition(git.status == 0, git.stderr)
        }
        return try ProcessRunner.run("/bin/bash", [directory.file("Scripts/check-tree")])
    }

    @Test(arguments: [
        ("Sources/SyncEngine/HealthEndpoints.swift", "_ = FileManager.default.contents(atPath: databasePath)"),
        ("Sources/SyncEngine/DaemonMetrics.swift", "let text = try String(contentsOf: URL(fileURLWithPath: path))"),
        ("Sources/SyncEngine/DaemonMetrics.swift", "let data = try Data(contentsOf: URL(fileURLWithPath: path))"),
        ("Sources/NodeAPI/Pages.swift", "_ = FileManager.default.createFile(atPath: path, contents: nil)"),
        ("Sources/Ticketing/Core/NodeHealth.swift", "let descriptor = Glibc.open(path, O_RDONLY)"),
        ("Sources/CBatchedWAL/peek.c", "int descriptor = open(path, O_RDONLY);"),
        ("Sources/CWriterQueue/include/peek.h", "static FILE *peek(const char *path) { return fopen(path, \"r\"); }"),
    ])
    func aFileReadByItsPathOutsideEdgeStoreIsFound(file: String, line: String) throws {
        let result = try Self.check(file, line)
        #expect(result.status == 1)
        #expect(
            result.stderr.contains("files opened by path outside EdgeStore") && result.stderr.contains(file + ":1:"),
            "\(result.stderr)")
    }

    /// EdgeStore opens its files itself: not reported (the script then goes on to checks this
    /// bare repository fails for other reasons).
    @Test func edgeStoreMayOpenItsFiles() throws {
        let result = try Self.check("Sources/EdgeStore/WriterQueueFile.swift", "let descriptor = open(path, O_RDWR)")
        #expect(!result.stderr.contains("files opened by path"), "\(result.stderr)")
    }
}
