import Foundation
import Testing

@testable import Mail

@Suite struct EmailMessageTests {
    @Test func quotedPrintableKeepsLinesShortAndEncodesWhatIsNotPrintable() {
        let encoded = EmailMessage.quotedPrintable(String(repeating: "é", count: 60) + " \nx = y \n")
        for line in encoded.components(separatedBy: "\r\n") { #expect(line.count <= 76) }
        #expect(encoded.hasPrefix("=C3=A9=C3=A9"))
        #expect(encoded.contains("x =3D y=20"))
    }

    @Test func nonASCIISubjectsBecomeEncodedWordsAndHeadersNeverBreak() {
        let message = EmailMessage(
            from: MailAddress(name: "Box", address: "b@example.org"),
            to: MailAddress(name: "Zoë\r\nBcc: evil@example.org", address: "a@example.org\r\nBcc: evil@example.org"),
            subject: "Billets pour « Opéra »", body: "ok", date: Date(timeIntervalSince1970: 0), messageID: "m@x")
        let text = message.rendered()
        #expect(text.contains("Subject: =?UTF-8?B?"))
        #expect(!text.contains("\r\nBcc:"))
        #expect(text.contains("Date: Thu, 01 Jan 1970 00:00:00 +0000\r\n"))
        #expect(
            EmailMessage.rfc5322Date(Date(timeIntervalSince1970: 1_795_581_658.9)) == "Wed, 25 Nov 2026 04:40:58 +0000")
        #expect(EmailMessage.rfc5322Date(Date(timeIntervalSince1970: 951_782_400)) == "Tue, 29 Feb 2000 00:00:00 +0000")
    }
}
