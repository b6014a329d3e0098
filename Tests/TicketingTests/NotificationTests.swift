import Foundation
import Mail
import SyncWire
import TestSupport
import Testing

@testable import Ticketing

@Suite struct NotificationTests {
    @Test func pendingNotificationsBecomeRFC5322FilesOnceEach() throws {
        let h = try NodeHarness()
        let sale = try h.sell(
            selection: .quantity(2),
            customer: CustomerDetails(email: "zoë@example.org".replacingOccurrences(of: "ë", with: "e"), name: "Zoë"))
        _ = try h.sell()  // no email: no notification
        let spool = h.directory.file("spool")
        let report = try h.node.notifications.deliver(via: SpoolTransport(folder: spool), by: h.supervisor)
        #expect(report.delivered == 1 && report.failed == 0)
        #expect(try h.node.notifications.deliver(via: SpoolTransport(folder: spool), by: h.supervisor).delivered == 0)
        let files = try FileManager.default.contentsOfDirectory(atPath: spool)
        #expect(files.count == 1 && files[0].hasSuffix(".eml"))
        let message = try String(contentsOfFile: spool + "/" + files[0], encoding: .utf8)
        #expect(message.contains("To: =?UTF-8?B?Wm/Dqw==?= <zoe@example.org>\r\n"))
        #expect(message.contains("Subject: Your tickets for Test Show\r\n"))
        #expect(message.contains("\r\n\r\n"))
        let body = String(message[message.range(of: "\r\n\r\n")!.upperBound...])
        #expect(body.contains(sale.orderID) && body.contains(sale.tickets[0].code))
        for line in message.components(separatedBy: "\r\n") { #expect(line.utf8.count <= 78) }
        #expect(!message.replacingOccurrences(of: "\r\n", with: "").contains("\n"))
        #expect(try h.node.notifications.list(status: .sent, by: h.supervisor).count == 1)
    }

    @Test func anUnwritableSpoolIsRetriedWithBackoffThenMarkedFailed() throws {
        let h = try NodeHarness()
        _ = try h.sell(customer: CustomerDetails(email: "a@example.org"))
        let blocker = h.directory.file("not-a-folder")
        try "x".write(toFile: blocker, atomically: true, encoding: .utf8)
        #expect(
            try h.node.notifications.deliver(via: SpoolTransport(folder: blocker + "/spool"), by: h.supervisor).retrying
                == 1)
        // Not due yet:
        #expect(
            try h.node.notifications.deliver(via: SpoolTransport(folder: blocker + "/spool"), by: h.supervisor).retrying
                == 0)
        for _ in 0..<7 {
            h.clock.advance(seconds: 3600)
            _ = try h.node.notifications.deliver(via: SpoolTransport(folder: blocker + "/spool"), by: h.supervisor)
        }
        let failed = try h.node.notifications.list(status: .failed, by: h.supervisor)
        #expect(failed.count == 1 && failed[0].attempts == 8 && failed[0].lastError != nil)
    }

    /// A retry's backoff runs on the boot clock: after the wall clock steps back an hour, a
    /// message refused once is tried again 30 s later, not an hour and 30 s.
    @Test func aRetryComesAfterItsBackoffWhateverTheWallClockSteps() throws {
        let h = try NodeHarness()
        _ = try h.sell(customer: CustomerDetails(email: "a@example.org"))
        h.clock.step(seconds: -3600)
        let blocked = h.directory.file("not-a-folder")
        try "x".write(toFile: blocked, atomically: true, encoding: .utf8)
        #expect(
            try h.node.notifications.deliver(via: SpoolTransport(folder: blocked + "/spool"), by: h.supervisor).retrying
                == 1, "a new message is due at once, whatever the step")
        h.clock.step(seconds: -3600)
        h.clock.advance(seconds: 29)
        let spool = h.directory.file("spool")
        #expect(try h.node.notifications.deliver(via: SpoolTransport(folder: spool), by: h.supervisor).delivered == 0)
        h.clock.advance(seconds: 1)
        #expect(
            try h.node.notifications.deliver(via: SpoolTransport(folder: spool), by: h.supervisor).delivered == 1,
            "the retry waited for the wall clock to come back")
    }

    /// Through a real SMTP server: a 451 is retried after its backoff, a 550 fails the message at
    /// once, and what arrives has the customer's name in To: and the notification's Message-ID.
    @Test func smtpRetriesATemporaryRefusalAndFailsAnUnknownRecipientAtOnce() throws {
        let h = try NodeHarness()
        let server = try SMTPServer(in: h.directory, ["--temporary", "1", "--reject", "gone@example.org"])
        _ = try h.sell(customer: CustomerDetails(email: "zoe@example.org", name: "Zoë"))
        _ = try h.sell(customer: CustomerDetails(email: "gone@example.org"))
        let transport = try MailTransports.parse("smtp://localhost:\(server.port)?starttls=off")
        let first = try h.node.notifications.deliver(via: transport, by: h.supervisor)
        #expect(first.delivered == 0 && first.retrying == 1 && first.failed == 1, "\(first)")
        #expect(try h.node.notifications.deliver(via: transport, by: h.supervisor).delivered == 0, "not due yet")
        h.clock.advance(seconds: 31)
        #expect(try h.node.notifications.deliver(via: transport, by: h.supervisor).delivered == 1)
        let received = try server.received()
        #expect(received.count == 1)
        let sent = try #require(try h.node.notifications.list(status: .sent, by: h.supervisor).first)
        #expect(received.first?.message["to_name"] as? String == "Zoë")
        #expect(received.first?.message["defects"] as? [String] == [])
        #expect(received.first?.message["message_id"] as? String == "<\(sent.id)@test-1.boxoffice.invalid>")
        let failed = try h.node.notifications.list(status: .failed, by: h.supervisor)
        #expect(failed.count == 1 && failed[0].attempts == 1 && failed[0].lastError?.contains("550") == true)
    }
}
