import Foundation
import MySQLClient
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

    /// Day J on servers of its own, whatever central the operator's shell names: every
    /// `CENTRAL_*` setting (and a node config file) there points at another real server, which
    /// the rehearsal neither uses nor trips over.
    @Test func dayJRunsEveryStepAndTimesIt() throws {
        let directory = TemporaryDirectory()
        let elsewhere = try OtherCentral(in: directory)
        let result = try ProcessRunner.run(
            Self.script, [], environment: ["REHEARSAL_BIN": Self.built].merging(elsewhere.environment) { $1 })
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        #expect(try elsewhere.tables() == 0, "the rehearsal wrote to the central of the caller's shell")
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

/// Another central, as an operator's shell may name it for other work: a database of the tests'
/// own MariaDB that nothing else uses, named by every setting the tools read (`CENTRAL_URL`, a
/// password both in `CENTRAL_PASSWORD` and in `CENTRAL_PASSWORD_FILE`, `CENTRAL_CONFIG`,
/// `CENTRAL_APP_URL`, a node's `BOXOFFICE_CONFIG`). A script that let any through would fail on
/// the password given twice, or write there.
struct OtherCentral {
    let url: String
    let environment: [String: String]

    init(in directory: TemporaryDirectory) throws {
        let sandbox = MariaDBSandbox.shared
        url = try sandbox.freshDatabase()
        let centralConfig = directory.file("central.conf")
        let nodeConfig = directory.file("node.conf")
        try "CENTRAL_URL=\(url)\nCENTRAL_APP_URL=\(url)\n".write(
            toFile: centralConfig, atomically: true, encoding: .utf8)
        try "CENTRAL_URL=\(url)\n".write(toFile: nodeConfig, atomically: true, encoding: .utf8)
        for file in [centralConfig, nodeConfig] { chmod(file, 0o600) }
        environment = [
            "CENTRAL_URL": url, "CENTRAL_PASSWORD": "not-this-one", "CENTRAL_PASSWORD_FILE": sandbox.passwordFile,
            "CENTRAL_CONFIG": centralConfig, "CENTRAL_APP_URL": url, "CENTRAL_APP_PASSWORD_FILE": sandbox.passwordFile,
            "BOXOFFICE_CONFIG": nodeConfig,
        ]
    }

    /// The tables its database holds (none unless something wrote there).
    func tables() throws -> Int {
        let connection = try MySQLConnection(
            MySQLConfiguration(url: url, environment: MariaDBSandbox.shared.environment))
        return try connection.scalar("SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = DATABASE()")
            ?? -1
    }
}
