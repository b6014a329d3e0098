import Foundation
import TestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// `Scripts/rehearsal`, the deployment plan's day J on throwaway servers, run as ops would run it.
@Suite struct RehearsalTests {
    static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Scripts/rehearsal").path
    static let built = URL(fileURLWithPath: ProcessRunner.product("central")).deletingLastPathComponent().path

    @Test func dayJRunsEveryStepAndTimesIt() throws {
        let result = try ProcessRunner.run(Self.script, [], environment: ["REHEARSAL_BIN": Self.built])
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        let steps = result.stdout.split(separator: "\n").map {
            $0.split(separator: " ", omittingEmptySubsequences: true)
        }
        #expect(
            steps.count == 12 && steps.allSatisfy { $0.count > 3 && Double($0[0]) != nil && $0[2] == "ok" },
            "\(result.stdout)")
        #expect(result.stdout.contains("ok    9 back") && result.stdout.hasSuffix("day J rehearsed\n"))
        #expect(
            result.stdout.contains("ok    3 migrations behind snapshots (central migrate stopped half-way and resumed"))
    }

    /// A step that fails stops the rehearsal there, named, with exit 1 (here `central smoke`
    /// fails: the tools are wrapped by one that makes it so).
    @Test func theFirstFailedStepStopsItAndIsNamed() throws {
        let directory = TemporaryDirectory()
        for tool in ["boxoffice", "venue-syncd", "central"] {
            let wrapper = directory.file(tool)
            let failing = tool == "central" ? "[ \"$1\" = smoke ] && { echo 'FAIL  nodes  planted'; exit 1; }\n" : ""
            try "#!/bin/sh\n\(failing)exec \(Self.built)/\(tool) \"$@\"\n".write(
                toFile: wrapper, atomically: true, encoding: .utf8)
            chmod(wrapper, 0o755)
        }
        let result = try ProcessRunner.run(Self.script, [], environment: ["REHEARSAL_BIN": directory.path])
        #expect(result.status == 1)
        #expect(
            result.stdout.contains("ok    4 health") && result.stdout.contains("FAIL  5 smoke tests"),
            "\(result.stdout)")
        #expect(!result.stdout.contains("6 maintenance off"))
        #expect(result.stderr.contains("rehearsal: step '5 smoke tests") && result.stderr.contains("planted"))
    }
}
