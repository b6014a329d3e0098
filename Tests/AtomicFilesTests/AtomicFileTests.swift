import AtomicFiles
import Foundation
import Testing

@Suite struct AtomicFileTests {
    /// A path's folder as `dirname` gives it, with empty for a bare file name (the current folder).
    @Test(arguments: [
        ("/var/lib/boxoffice/venue.sqlite", "/var/lib/boxoffice"), ("venue.sqlite", ""), ("/venue.sqlite", "/"),
        ("data/venue.sqlite", "data"), ("./venue.sqlite", "."),
    ])
    func folder(path: String, expected: String) {
        #expect(AtomicFile.folder(of: path) == expected)
    }
}

/// Writing through a folder others may write: a symlink planted under the name the temporary
/// file used to take (`PATH.tmp-PID`) made `boxoffice login` write the session token into the
/// file it pointed at. The planted link and its target are left alone; a symlink at the path
/// itself is replaced, not followed.
@Suite struct AtomicFilePlantedLinkTests {
    @Test func aPlantedSymlinkIsNeverWrittenThrough() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("atomic-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let victim = folder + "/victim"
        try Data("keep me\n".utf8).write(to: URL(fileURLWithPath: victim))
        let path = folder + "/session"
        #expect(symlink(victim, path + ".tmp-\(getpid())") == 0)
        try AtomicFile.write(Array("token\n".utf8), to: path)
        #expect(try String(contentsOfFile: victim, encoding: .utf8) == "keep me\n")
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "token\n")

        let linked = folder + "/linked"
        #expect(symlink(victim, linked) == 0)
        try AtomicFile.write(Array("other\n".utf8), to: linked)
        #expect(try String(contentsOfFile: victim, encoding: .utf8) == "keep me\n")
        var info = stat()
        #expect(lstat(linked, &info) == 0 && info.st_mode & S_IFMT == S_IFREG)
        let left = try FileManager.default.contentsOfDirectory(atPath: folder).filter { $0.contains(".tmp-") }
        #expect(left == ["session.tmp-\(getpid())"], "only the planted link is left")
    }
}
