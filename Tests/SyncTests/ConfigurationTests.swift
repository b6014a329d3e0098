import Foundation
import MySQLClient
import TestSupport
import Testing
import Ticketing

#if canImport(Glibc)
    import Glibc
#endif

/// One settings file per node and one for central: a flag beats the environment variable, which
/// beats the file; secrets only by `*_FILE`.
@Suite struct ConfigurationTests {
    private func write(_ text: String, to path: String) throws -> String {
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        chmod(path, 0o640)
        return path
    }

    /// The node's and central's settings name central as the connection resolver reads it.
    @Test func everyToolSpellsCentralsSettingsAlike() {
        #expect(NodeSetting.centralURL.rawValue == MySQLConfiguration.Setting.url.rawValue)
        #expect(NodeSetting.centralPasswordFile.rawValue == MySQLConfiguration.Setting.passwordFile.rawValue)
        #expect(NodeSetting.fileKeys.count == Set(NodeSetting.fileKeys).count)
        #expect(!NodeSetting.fileKeys.contains(MySQLConfiguration.Setting.password.rawValue), "a secret in a file")
    }

    @Test func theNodeFileDrivesBoxofficeAndVenueSyncdAndFlagsAndVariablesWin() throws {
        let world = try SyncWorld()
        let node = try world.makeNode("NODE-A")
        let config = try write(
            """
            # /etc/venue/node.conf
            BOXOFFICE_DB=\(node.path)
            CENTRAL_URL=\(world.url)
            CENTRAL_PASSWORD_FILE=\(world.server.passwordFile)
            SYNCD_INTERVAL=250ms
            SYNCD_LOG_LEVEL=debug
            """, to: world.directory.file("node.conf"))
        let syncd = ProcessRunner.product("venue-syncd")
        let once = try ProcessRunner.run(syncd, ["--config", config, "--once"], environment: ["CENTRAL_URL": ""])
        #expect(once.status == 0, "\(once.stderr)")
        #expect(once.stderr.contains("sync.cycle") && once.stderr.contains("interval=0.25"), "\(once.stderr)")
        let quiet = try ProcessRunner.run(
            syncd, ["--once", "--log-level", "warning"], environment: ["BOXOFFICE_CONFIG": config])
        #expect(quiet.status == 0 && quiet.stderr.isEmpty, "\(quiet.stderr)")

        let box = ProcessRunner.product("boxoffice")
        let status = try ProcessRunner.run(
            box, ["status", "--json", "--config", config], environment: ["BOXOFFICE_DB": ""])
        #expect(status.status == 0 && status.stdout.contains("\"node_id\" : \"NODE-A\""), "\(status.stderr)")
        let other = world.directory.file("other.sqlite")
        let overridden = try ProcessRunner.run(
            box, ["status", "--config", config], environment: ["BOXOFFICE_DB": other])
        #expect(overridden.status != 0 && overridden.stderr.contains("other.sqlite"), "the variable beats the file")
        let flag = try ProcessRunner.run(
            box, ["status", "--config", config, "--db", node.path], environment: ["BOXOFFICE_DB": other])
        #expect(flag.status == 0, "the flag beats the variable")

        let bad = try write("SYNCD_INTERVAL=soon\n", to: world.directory.file("bad.conf"))
        let refused = try ProcessRunner.run(syncd, ["--config", bad, "--db", node.path, "--central", world.url])
        #expect(
            refused.status == 2 && refused.stderr.hasPrefix("Error: SYNCD_INTERVAL must be a duration"),
            "\(refused.stderr)")
        let secret = try write("CENTRAL_PASSWORD=hunter2\n", to: world.directory.file("secret.conf"))
        let noSecret = try ProcessRunner.run(box, ["status", "--config", secret])
        #expect(noSecret.status == 2 && noSecret.stderr.contains("CENTRAL_PASSWORD is a secret"))
        #expect(!noSecret.stderr.contains("hunter2"))
    }

    @Test func theCentralFileDrivesTheCentralTool() throws {
        let world = try SyncWorld()
        let config = try write(
            """
            CENTRAL_URL=\(world.url)
            CENTRAL_PASSWORD_FILE=\(world.server.passwordFile)
            RECONCILE_SILENCE=2h
            """, to: world.directory.file("central.conf"))
        let tool = ProcessRunner.product("central")
        let events = try ProcessRunner.run(tool, ["events", "--config", config])
        #expect(events.status == 0 && events.stdout.contains("BIG"), "\(events.stderr)")
        let viaVariable = try ProcessRunner.run(
            tool, ["reconcile", "--dry-run"], environment: ["CENTRAL_CONFIG": config])
        #expect(viaVariable.status == 0, "\(viaVariable.stderr)")
        let unknown = try write("CENTRAL_UR=x\n", to: world.directory.file("typo.conf"))
        let typo = try ProcessRunner.run(tool, ["events", "--config", unknown])
        #expect(typo.status == 2 && typo.stderr.contains("unknown key 'CENTRAL_UR'. Did you mean 'CENTRAL_URL'?"))
    }
}
