import Foundation
import Mail
import TestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// The SMTP transport against a real SMTP server (aiosmtpd) with certificates made by `openssl`;
/// what arrives is read by Python's `email` package.
@Suite struct SMTPTransportTests {
    let directory = TemporaryDirectory()

    private func message(to: MailAddress = MailAddress(name: "Zoë O'Brien", address: "zoe@example.org")) -> EmailMessage
    {
        EmailMessage(
            from: MailAddress(name: "Théâtre Royal, Box Office", address: "box@theatre.example"), to: to,
            subject: "Vos billets pour « La Traviata »",
            body: "Merci !\n.a line that starts with a dot\n" + String(repeating: "long ", count: 40) + "\nfin",
            date: Date(timeIntervalSince1970: 1_800_000_000), messageID: "ntf_01TEST@box-1.boxoffice.invalid")
    }

    private func failure(_ transport: String, _ message: EmailMessage? = nil) -> MailError? {
        do {
            try MailTransports.parse(transport).send(message ?? self.message())
            return nil
        } catch {
            return error as? MailError
        }
    }

    @Test func deliversOverVerifiedStartTLSAndTheMessageParsesWithoutADefect() throws {
        let certificates = try TestCertificates(in: directory.path)
        let server = try SMTPServer(
            in: directory,
            [
                "--tls", certificates.directory + "/server.pem", certificates.directory + "/server-key.pem",
                "--require-starttls",
            ])
        try MailTransports.parse("smtp://localhost:\(server.port)?ca=\(certificates.authority)").send(message())
        let received = try server.received()
        #expect(received.count == 1)
        let (parsed, envelope) = try #require(received.first)
        #expect(parsed["defects"] as? [String] == [], "\(parsed)")
        #expect(
            parsed["from_name"] as? String == "Théâtre Royal, Box Office"
                && parsed["from"] as? String == "box@theatre.example")
        #expect(parsed["to_name"] as? String == "Zoë O'Brien" && parsed["to"] as? String == "zoe@example.org")
        #expect(parsed["subject"] as? String == "Vos billets pour « La Traviata »")
        #expect(parsed["message_id"] as? String == "<ntf_01TEST@box-1.boxoffice.invalid>")
        #expect((parsed["body"] as? String)?.contains("\n.a line that starts with a dot\n") == true)
        #expect(envelope["tls"] as? Bool == true && envelope["mail_from"] as? String == "box@theatre.example")
        #expect(envelope["rcpt_tos"] as? [String] == ["zoe@example.org"])
    }

    @Test func whatIsRefusedAndWhetherItIsWorthRetrying() throws {
        let certificates = try TestCertificates(in: directory.path)
        let tls = try SMTPServer(
            in: directory,
            ["--tls", certificates.directory + "/server.pem", certificates.directory + "/server-key.pem"])
        let plain = try SMTPServer(in: directory, ["--reject", "nobody@example.org", "--temporary", "1"])

        let untrusted = try #require(failure("smtp://localhost:\(tls.port)?ca=\(certificates.otherAuthority)"))
        #expect(
            !untrusted.isPermanent && untrusted.message.contains("unable to get local issuer certificate"),
            "\(untrusted)")
        let wrongName = try #require(failure("smtp://127.0.0.1:\(tls.port)?ca=\(certificates.authority)"))
        #expect(!wrongName.isPermanent && wrongName.message.contains("TLS handshake"), "\(wrongName)")
        let noTLS = try #require(failure("smtp://localhost:\(plain.port)?starttls=required"))
        #expect(!noTLS.isPermanent && noTLS.message.contains("does not offer STARTTLS"))
        let later = try #require(failure("smtp://localhost:\(plain.port)"))
        #expect(!later.isPermanent && later.message.contains("451"), "\(later)")
        let unknown = try #require(
            failure("smtp://localhost:\(plain.port)", message(to: MailAddress(address: "nobody@example.org"))))
        #expect(unknown.isPermanent && unknown.message.contains("550"), "\(unknown)")
        let injected = try #require(
            failure(
                "smtp://localhost:\(plain.port)",
                message(to: MailAddress(address: "a@example.org>\r\nRCPT TO:<b@example.org"))))
        #expect(injected.isPermanent)
        #expect(try plain.received().isEmpty && tls.received().isEmpty)
        #expect(failure("smtp://localhost:\(plain.port)") == nil, "the second attempt after a 451 is taken")
        let closed = try #require(failure("smtp://127.0.0.1:\(Network.freePort())"))
        #expect(!closed.isPermanent && closed.message.contains("cannot connect"))
    }

    @Test func transportsAreReadStrictly() {
        for bad in [
            "smtp://", "smtps://relay", "smtp://relay?starttls=maybe", "smtp://user@relay", "spool:", "mailto:a@b",
        ] {
            #expect(throws: MailError.self, "\(bad)") { try MailTransports.parse(bad) }
        }
        #expect(
            (try? MailTransports.parse("smtp://relay.example"))?.description
                == "smtp://relay.example:25 (starttls auto)")
        #expect((try? MailTransports.parse("sendmail:"))?.description == "sendmail:/usr/sbin/sendmail")
    }

    /// A sendmail-style command gets the message on stdin and the envelope as arguments; its
    /// exit code says whether to retry.
    @Test func aSendmailCommandGetsTheMessageAndItsExitCodeDecides() throws {
        let script = directory.file("sendmail")
        let received = directory.file("received")
        try """
        #!/bin/sh
        echo "$@" > \(received).args
        cat > \(received).eml
        exit ${SENDMAIL_EXIT:-0}
        """.write(toFile: script, atomically: true, encoding: .utf8)
        chmod(script, 0o755)
        try MailTransports.parse("sendmail:\(script)").send(message())
        #expect(
            try String(contentsOfFile: received + ".args", encoding: .utf8)
                == "-i -f box@theatre.example -- zoe@example.org\n")
        #expect(
            try String(contentsOfFile: received + ".eml", encoding: .utf8).contains(
                "Message-ID: <ntf_01TEST@box-1.boxoffice.invalid>"))
        for (code, permanent) in [(75, false), (67, true)] {
            try "#!/bin/sh\ncat >/dev/null\necho 'no luck' >&2\nexit \(code)\n".write(
                toFile: script, atomically: true, encoding: .utf8)
            chmod(script, 0o755)
            let refused = try #require(failure("sendmail:\(script)"))
            #expect(
                refused.isPermanent == permanent && refused.message.contains("exited \(code): no luck"), "\(refused)")
        }
    }
}
