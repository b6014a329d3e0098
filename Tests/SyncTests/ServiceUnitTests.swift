import Foundation
import TestSupport
import Testing
import Ticketing

#if canImport(Glibc)
    import Glibc
#endif

/// The systemd units in `Scripts/systemd`, checked by systemd itself and run as written.
@Suite struct ServiceUnitTests {
    static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Scripts/systemd").path
    static let units = [
        "venue-syncd.service", "central-reconcile.service", "central-reconcile.timer", "central-metrics.service",
    ]

    /// The unit with its binaries at this build's paths.
    private func unit(_ name: String, into directory: TemporaryDirectory) throws -> String {
        let text = try String(contentsOfFile: Self.folder + "/" + name, encoding: .utf8)
        let built = URL(fileURLWithPath: ProcessRunner.product("central")).deletingLastPathComponent().path
        let path = directory.file(name)
        try text.replacingOccurrences(of: "/usr/local/bin/", with: built + "/").write(
            toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    /// The arguments of the unit's `ExecStart=` line.
    private func execStart(_ name: String) throws -> [String] {
        let text = try String(contentsOfFile: Self.folder + "/" + name, encoding: .utf8)
        let line = try #require(text.split(separator: "\n").first { $0.hasPrefix("ExecStart=") })
        return line.dropFirst("ExecStart=".count).split(separator: " ").dropFirst().map(String.init)
    }

    @Test func systemdVerifiesEveryUnitWithoutAWordAndRatesTheSandboxOK() throws {
        let directory = TemporaryDirectory()
        let paths = try Self.units.map { try unit($0, into: directory) }
        let verify = try ProcessRunner.run("/usr/bin/systemd-analyze", ["verify"] + paths)
        #expect(
            verify.status == 0 && verify.stderr.isEmpty && verify.stdout.isEmpty, "\(verify.stdout)\(verify.stderr)")
        for service in paths where service.hasSuffix(".service") {
            let security = try ProcessRunner.run("/usr/bin/systemd-analyze", ["security", "--offline=true", service])
            let exposure = security.stdout.split(separator: "\n").last { $0.contains("Overall exposure level") }
            let level = exposure.flatMap { $0.split(separator: ":").last?.split(separator: " ").first }.flatMap {
                Double($0)
            }
            #expect(level.map { $0 <= 2.0 } == true, "\(service): \(exposure ?? "no rating")")
        }
    }

    /// The services' command lines as written, with the test's settings file in place of
    /// `/etc/venue/*.conf` and a free port: the daemon syncs and delivers email, the job reconciles.
    @Test func theCommandLinesRunAsWritten() throws {
        let world = try SyncWorld()
        let node = try world.makeNode("NODE-A")
        #expect(try world.syncOnce(node).status == 0)
        _ = try node.node.sales.sell(
            SaleRequest(
                eventID: "BIG", categoryCode: "FLOOR", selection: .quantity(1), payment: PaymentRequest(method: .cash),
                customer: CustomerDetails(email: "unit@example.org")), by: node.admin)
        let nodeConf = world.directory.file("node.conf")
        let spool = world.directory.file("spool")
        try "BOXOFFICE_DB=\(node.path)\nCENTRAL_URL=\(world.url)\nMAIL_TRANSPORT=spool:\(spool)\n".write(
            toFile: nodeConf, atomically: true, encoding: .utf8)
        let syncdArguments = try execStart("venue-syncd.service").map {
            $0.replacingOccurrences(of: "/etc/venue/node.conf", with: nodeConf)
                .replacingOccurrences(of: "127.0.0.1:9464", with: "127.0.0.1:\(Network.freePort())")
        }
        let credential = ["CENTRAL_PASSWORD_FILE": world.server.passwordFile]
        let syncd = try ProcessRunner.run(
            ProcessRunner.product("venue-syncd"), syncdArguments + ["--once"], environment: credential)
        #expect(syncd.status == 0, "\(syncd.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: spool).filter { $0.hasSuffix(".eml") }.count == 1)
        #expect(try world.centralOrders(node: "NODE-A") == node.orders())

        let centralConf = world.directory.file("central.conf")
        try "CENTRAL_URL=\(world.url)\n".write(toFile: centralConf, atomically: true, encoding: .utf8)
        let reconcileArguments = try execStart("central-reconcile.service").map {
            $0.replacingOccurrences(of: "/etc/venue/central.conf", with: centralConf)
        }
        let reconcile = try ProcessRunner.run(
            ProcessRunner.product("central"), reconcileArguments, environment: credential)
        #expect([0, 10, 11].contains(reconcile.status), "\(reconcile.stderr)")
        #expect(reconcile.stdout.contains("\"mode\" : \"settle\""))
    }

    /// The example settings files are accepted as they are by the tools that read them (which then
    /// stop at what this machine lacks: the database, central's CA file).
    @Test func theExampleSettingsFilesAreValid() throws {
        let directory = TemporaryDirectory()
        for (example, tool, arguments) in [
            ("node.conf.example", "boxoffice", ["health"]), ("central.conf.example", "central", ["events"]),
        ] {
            let copy = directory.file(example)
            try FileManager.default.copyItem(atPath: Self.folder + "/" + example, toPath: copy)
            chmod(copy, 0o640)
            let result = try ProcessRunner.run(ProcessRunner.product(tool), arguments + ["--config", copy])
            #expect(
                !result.stderr.contains("config file") && !result.stderr.contains("must be"),
                "\(example): \(result.stderr)")
        }
    }
}
