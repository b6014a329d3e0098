import FoundationEssentials
import SyncWire

/// A plain-text email in RFC 5322 form: CRLF line ends, ASCII headers (RFC 2047 encoded words
/// for anything else), a UTF-8 body in quoted-printable (RFC 2045) so no line exceeds 76 characters.
public struct EmailMessage: Sendable, Equatable {
    public let from: MailAddress
    public let to: MailAddress
    public let subject: String
    public let body: String
    /// Seconds since 1970, UTC.
    public let date: Date
    /// Without angle brackets: `ntf_…@node.boxoffice.invalid`. Stable for one notification, so
    /// a message sent again after a crash is recognisably the same one.
    public let messageID: String

    public init(from: MailAddress, to: MailAddress, subject: String, body: String, date: Date, messageID: String) {
        self.from = from
        self.to = to
        self.subject = subject
        self.body = body
        self.date = date
        self.messageID = messageID
    }

    /// The message as it goes into a `.eml` file or an SMTP DATA command.
    public func rendered() -> String {
        let headers = [
            "Date: \(Self.rfc5322Date(date))",
            "From: \(from.headerValue)",
            "To: \(to.headerValue)",
            "Subject: \(Self.encodedWords(Self.headerSafe(subject)))",
            "Message-ID: <\(Self.headerSafe(messageID))>",
            "MIME-Version: 1.0",
            "Content-Type: text/plain; charset=utf-8",
            "Content-Transfer-Encoding: quoted-printable",
        ]
        return headers.joined(separator: "\r\n") + "\r\n\r\n" + Self.quotedPrintable(body) + "\r\n"
    }

    /// `Wed, 25 Nov 2026 04:40:58 +0000`.
    static func rfc5322Date(_ date: Date) -> String {
        Timestamp(milliseconds: Int64((date.timeIntervalSince1970 * 1000).rounded(.down))).rfc5322
    }

    /// No line breaks can reach a header, whatever the data held.
    static func headerSafe(_ text: String) -> String {
        String(text.map { $0.isNewline || $0 == "\0" ? " " : $0 })
    }

    /// ASCII text as is; anything else as `=?UTF-8?B?…?=` words of at most 75 characters,
    /// split on character boundaries and folded onto continuation lines.
    static func encodedWords(_ text: String) -> String {
        guard !text.unicodeScalars.allSatisfy({ $0.isASCII && $0.value >= 32 }) else { return text }
        var words = [String]()
        var chunk = [UInt8]()
        for character in text {
            let bytes = Array(String(character).utf8)
            if chunk.count + bytes.count > 45 {
                words.append("=?UTF-8?B?\(Data(chunk).base64EncodedString())?=")
                chunk = []
            }
            chunk += bytes
        }
        if !chunk.isEmpty { words.append("=?UTF-8?B?\(Data(chunk).base64EncodedString())?=") }
        return words.joined(separator: "\r\n ")
    }

    /// RFC 2045 quoted-printable with CRLF hard breaks and `=` soft breaks at 76 characters.
    static func quotedPrintable(_ text: String) -> String {
        let lines = text.replacing("\r\n", with: "\n").split(
            separator: "\n", omittingEmptySubsequences: false)
        return lines.map { line -> String in
            var out = ""
            var width = 0
            let bytes = Array(line.utf8)
            for (index, byte) in bytes.enumerated() {
                let isLast = index == bytes.count - 1
                let literal =
                    (byte >= 33 && byte <= 126 && byte != UInt8(ascii: "=")) || ((byte == 32 || byte == 9) && !isLast)
                let piece =
                    literal
                    ? String(UnicodeScalar(byte))
                    : "=" + String(byte >> 4, radix: 16, uppercase: true)
                        + String(byte & 15, radix: 16, uppercase: true)
                if width + piece.count > 75 {
                    out += "=\r\n"
                    width = 0
                }
                out += piece
                width += piece.count
            }
            return out
        }.joined(separator: "\r\n")
    }
}
