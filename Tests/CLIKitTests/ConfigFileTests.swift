import Foundation
import Testing

@testable import CLIKit

#if canImport(Glibc)
    import Glibc
#endif

@Suite struct ConfigFileTests {
    let known = ["BOXOFFICE_DB", "CENTRAL_URL", "CENTRAL_PASSWORD_FILE", "SYNCD_INTERVAL"]

    private func file(_ text: String, mode: mode_t = 0o640) throws -> String {
        let path = NSTemporaryDirectory() + "config-\(UUID().uuidString).conf"
        try text.write(toFile: path, atomically: false, encoding: .utf8)
        chmod(path, mode)
        return path
    }

    private func failure(_ text: String, mode: mode_t = 0o640) throws -> String? {
        let path = try file(text, mode: mode)
        defer { unlink(path) }
        do {
            _ = try ConfigFile.load(path, known: known)
            return nil
        } catch let error as UsageError {
            return error.message.replacingOccurrences(of: path, with: "F")
        }
    }

    @Test func keysValuesCommentsAndTheEnvironmentOverTheFile() throws {
        let path = try file(
            """
            # the node at the box office
            BOXOFFICE_DB = /srv/box/venue.sqlite

            CENTRAL_URL=mysql://venue_app@db:3306/central?tls=verify_identity&ssl_ca=/etc/ssl/ca.pem
            SYNCD_INTERVAL=5s
            """)
        defer { unlink(path) }
        #expect(
            try ConfigFile.load(path, known: known) == [
                "BOXOFFICE_DB": "/srv/box/venue.sqlite",
                "CENTRAL_URL": "mysql://venue_app@db:3306/central?tls=verify_identity&ssl_ca=/etc/ssl/ca.pem",
                "SYNCD_INTERVAL": "5s",
            ])
        let settings = try ConfigFile.settings(
            file: path, known: known,
            environment: ["BOXOFFICE_DB": "/tmp/other.sqlite", "SYNCD_INTERVAL": "", "HOME": "/root"])
        #expect(settings["BOXOFFICE_DB"] == "/tmp/other.sqlite" && settings["SYNCD_INTERVAL"] == "5s")
        #expect(settings["HOME"] == "/root")
    }

    @Test func mistakesNameTheFileAndLine() throws {
        #expect(
            try failure("SYNCD_INTERVL=5s")
                == "config file F line 1: unknown key 'SYNCD_INTERVL'. Did you mean 'SYNCD_INTERVAL'?")
        #expect(try failure("\n# x\nBOXOFFICE_DB") == "config file F line 3: expected KEY=VALUE")
        #expect(try failure("BOXOFFICE_DB=a\nBOXOFFICE_DB=b") == "config file F line 2: BOXOFFICE_DB is set twice")
        #expect(
            try failure("CENTRAL_PASSWORD=hunter2")
                == "config file F line 1: CENTRAL_PASSWORD is a secret; put it in a file of its own and set CENTRAL_PASSWORD_FILE to its path"
        )
        #expect(
            try failure("BOXOFFICE_DB=a", mode: 0o666)?.hasPrefix(
                "config file F may be written by other users (mode 666)") == true)
        #expect(try failure("CENTRAL_PASSWORD_FILE=/run/credentials/venue-syncd/central") == nil)
    }

    @Test func aSettingIsReadLikeItsOptionAndNamesItsKey() throws {
        let interval = TypedOption.duration("--interval", in: 0.05...3600, help: "")
        let parser = ArgumentParser(root: Bare.self, globalOptions: [interval.option])
        let none = try parser.parse([]).arguments
        #expect(try none.value(interval, orSetting: Key.interval, in: ["SYNCD_INTERVAL": "5s"]) == 5)
        #expect(
            try parser.parse(["--interval", "1s"]).arguments.value(
                interval, orSetting: Key.interval, in: ["SYNCD_INTERVAL": "5s"]) == 1)
        #expect(
            throws: UsageError(
                "SYNCD_INTERVAL must be a duration like 500ms, 90s, 10m, 2h or 1d, from 50ms to 1h, not 'soon'")
        ) {
            try none.value(interval, orSetting: Key.interval, in: ["SYNCD_INTERVAL": "soon"])
        }
    }
}

/// A tool's settings, as tools declare them (a closed type: a misspelt key does not compile).
private enum Key: String { case interval = "SYNCD_INTERVAL" }

private struct Bare: ParsableCommand {
    static let configuration = CommandConfiguration(name: "bare", abstract: "Nothing.")
    init(_ arguments: ParsedArguments) {}
    func run() throws {}
}
