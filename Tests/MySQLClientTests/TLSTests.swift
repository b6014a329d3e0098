import Foundation
import TestSupport
import Testing

@testable import MySQLClient

/// TLS that fails closed, against a MariaDB serving a certificate the test made with `openssl`
/// for `localhost`, whose application user must use TLS.
@Suite struct TLSTests {
    @Test func verifiedConnectionsSucceedAndEverythingElseIsRefused() throws {
        let folder = TemporaryDirectory()
        let certificates = try TestCertificates(in: folder.path)
        let server = try MariaDBSandbox.makePrivate(tls: folder.path)
        try server.sql("ALTER USER 'venue_app'@'127.0.0.1' REQUIRE SSL; ALTER USER 'venue_app'@'localhost' REQUIRE SSL")
        func connect(_ host: String, _ options: String) throws -> MySQLConnection {
            try MySQLConnection(
                MySQLConfiguration(
                    url: "mysql://venue_app@\(host):\(server.port)/central?connect_timeout=5\(options)",
                    environment: server.environment))
        }
        func refusal(_ host: String, _ options: String) -> String? {
            do {
                _ = try connect(host, options)
                return nil
            } catch {
                return "\(error)"
            }
        }
        let verified = try connect("localhost", "&tls=verify_identity&ssl_ca=\(certificates.authority)")
        #expect(
            try verified.scalar(
                "SELECT VARIABLE_VALUE FROM information_schema.SESSION_STATUS WHERE VARIABLE_NAME = 'Ssl_cipher'",
                as: String.self)?.isEmpty == false)
        _ = try connect("127.0.0.1", "&tls=verify_ca&ssl_ca=\(certificates.authority)")
        #expect(
            refusal("localhost", "&tls=verify_identity&ssl_ca=\(certificates.otherAuthority)") != nil,
            "a CA that did not sign it")
        #expect(
            refusal("127.0.0.1", "&tls=verify_ca&ssl_ca=\(certificates.otherAuthority)") != nil,
            "a CA that did not sign it")
        #expect(
            refusal("127.0.0.1", "&tls=verify_identity&ssl_ca=\(certificates.authority)") != nil,
            "a certificate for another name")
        let clear = refusal("127.0.0.1", "&tls=disabled")
        #expect(
            clear?.contains("Access denied") == true && clear?.contains("may require TLS") == true, "\(clear ?? "")")
        #expect(
            refusal("127.0.0.1", "&tls=required&ssl_ca=\(certificates.authority)")?.contains(
                "ssl_ca is used by tls=verify_ca") == true)
        _ = try connect("127.0.0.1", "&tls=required")

        // Every member of a list is held to the same rules: one that cannot show a verified
        // certificate (here a server without TLS) is passed over, never used in clear.
        let listed = try MySQLConnection(
            MySQLConfiguration(
                url: "mysql://venue_app@127.0.0.1:\(MariaDBSandbox.shared.port),localhost:\(server.port)/central"
                    + "?connect_timeout=5&tls=verify_identity&ssl_ca=\(certificates.authority)",
                environment: server.environment))
        #expect(listed.member.port == Int(server.port), "\(listed.skippedMembers)")
        #expect(
            listed.skippedMembers.count == 1 && listed.skippedMembers[0].reason.contains("SSL"),
            "\(listed.skippedMembers)")
    }

    @Test func defaultsFailClosedAndTheModeIsShown() throws {
        let remote = try MySQLConfiguration(url: "mysql://app@db.example/central", environment: [:])
        #expect(remote.tls == .required && remote.description == "mysql://app@db.example:3306/central?tls=required")
        #expect(try MySQLConfiguration(url: "mysql://app@127.0.0.1/central", environment: [:]).tls == .disabled)
        #expect(try MySQLConfiguration(url: "mysql://app@localhost/central", environment: [:]).tls == .disabled)
        let socket = try MySQLConfiguration(
            url: "mysql://app@localhost/central?socket=/run/mysqld/mysqld.sock", environment: [:])
        #expect(socket.tls == .disabled && socket.description.contains("socket=/run/mysqld/mysqld.sock&tls=disabled"))
        #expect(throws: MySQLError.self) {
            try MySQLConfiguration(
                url: "mysql://app@db.example/central?tls=verify_ca&ssl_ca=/nonexistent.pem",
                environment: [:])
        }
    }

    /// No secret in any message: a password given in a URL of any scheme is never repeated.
    @Test func aPasswordInAURLIsNeverRepeated() {
        for url in [
            "mysqlx://app:S3cret-planted@db.example/central", "mysql://app:S3cret-planted@db.example/central",
            "postgres://app:S3cret-planted@h/c", "mysql://app:S3cret-planted@h",
        ] {
            do {
                _ = try MySQLConfiguration(url: url, environment: [:])
                Issue.record("\(url) accepted")
            } catch {
                #expect(!"\(error)".contains("S3cret"), "\(error)")
            }
        }
        #expect(MySQLConfiguration.redacted("mysqlx://app:S3cret@db/c") == "mysqlx://app:***@db/c")
    }

    /// The rule of every secret file (as for session files): its owner's alone. A group may not
    /// read it either (0640 was accepted while a session file 0640 was refused).
    @Test func aPasswordFileOthersMayReadIsRefused() throws {
        let folder = TemporaryDirectory()
        let file = folder.file("password")
        try "s3cret\n".write(toFile: file, atomically: true, encoding: .utf8)
        for mode: mode_t in [0o644, 0o640, 0o620, 0o604] {
            chmod(file, mode)
            #expect(
                throws: MySQLError(
                    code: 0,
                    message: "CENTRAL_PASSWORD_FILE \(file) is open to other users (mode \(String(mode, radix: 8))); "
                        + "a secret file must be its owner's alone: run chmod 600 \(file)")
            ) {
                try MySQLConfiguration(url: "mysql://app@h/c", environment: ["CENTRAL_PASSWORD_FILE": file])
            }
        }
        for mode: mode_t in [0o600, 0o400] {
            chmod(file, mode)
            #expect(
                try MySQLConfiguration(url: "mysql://app@h/c", environment: ["CENTRAL_PASSWORD_FILE": file]).password
                    == "s3cret")
        }
    }

    /// A FIFO, a folder or a device named as the password file is refused at once: opening a FIFO
    /// for reading would wait for a writer forever.
    @Test func aPasswordFileThatIsNotAFileIsRefusedAtOnce() throws {
        let folder = TemporaryDirectory()
        let fifo = folder.file("fifo")
        #expect(mkfifo(fifo, 0o600) == 0)
        for path in [fifo, folder.path, "/dev/null"] {
            #expect(
                throws: MySQLError(
                    code: 0, message: "cannot read CENTRAL_PASSWORD_FILE \(path): not a regular file")
            ) {
                try MySQLConfiguration(url: "mysql://app@h/c", environment: ["CENTRAL_PASSWORD_FILE": path])
            }
        }
    }
}
