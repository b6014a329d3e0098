import Foundation
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
        let report = try h.node.notifications.deliver(to: spool, by: h.supervisor)
        #expect(report.delivered == 1 && report.failed == 0)
        #expect(try h.node.notifications.deliver(to: spool, by: h.supervisor).delivered == 0)
        let files = try FileManager.default.contentsOfDirectory(atPath: spool)
        #expect(files.count == 1 && files[0].hasSuffix(".eml"))
        let message = try String(contentsOfFile: spool + "/" + files[0], encoding: .utf8)
        #expect(message.contains("To: zoe@example.org\r\n"))
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
        #expect(try h.node.notifications.deliver(to: blocker + "/spool", by: h.supervisor).retrying == 1)
        // Not due yet:
        #expect(try h.node.notifications.deliver(to: blocker + "/spool", by: h.supervisor).retrying == 0)
        for _ in 0..<7 {
            h.clock.advance(seconds: 3600)
            _ = try h.node.notifications.deliver(to: blocker + "/spool", by: h.supervisor)
        }
        let failed = try h.node.notifications.list(status: .failed, by: h.supervisor)
        #expect(failed.count == 1 && failed[0].attempts == 8 && failed[0].lastError != nil)
    }
}

@Suite struct EmailMessageTests {
    @Test func quotedPrintableKeepsLinesShortAndEncodesWhatIsNotPrintable() {
        let encoded = EmailMessage.quotedPrintable(String(repeating: "é", count: 60) + " \nx = y \n")
        for line in encoded.components(separatedBy: "\r\n") { #expect(line.count <= 76) }
        #expect(encoded.hasPrefix("=C3=A9=C3=A9"))
        #expect(encoded.contains("x =3D y=20"))
    }

    @Test func nonASCIISubjectsBecomeEncodedWordsAndHeadersNeverBreak() {
        let message = EmailMessage(
            from: "Box <b@example.org>", to: "a@example.org\r\nBcc: evil@example.org",
            subject: "Billets pour « Opéra »", body: "ok", date: Timestamp(milliseconds: 0), messageID: "m@x")
        let text = message.rendered()
        #expect(text.contains("Subject: =?UTF-8?B?"))
        #expect(!text.contains("\r\nBcc:"))
        #expect(text.contains("Date: Thu, 01 Jan 1970 00:00:00 +0000\r\n"))
    }
}
