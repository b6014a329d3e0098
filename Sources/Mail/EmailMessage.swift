import FoundationEssentials
import SyncWire

/// A plain-text email in RFC 5322 form: CRLF line ends, ASCII headers (RFC 2047 encoded words
/// for anything else), a UTF-8 body in quoted-printable (RFC 2045) so no line exceeds 76 characters.
public struct EmailMessage: Sendable, Equatable {
    /// An image shown in the HTML body where it says `<img src="cid:CONTENT-ID">`.
    public struct InlineImage: Sendable, Equatable {
        /// Without angle brackets: `ticket-1@node.boxoffice.invalid`.
        public let contentID: String
        public let filename: String
        public let png: [UInt8]

        public init(contentID: String, filename: String, png: [UInt8]) {
            self.contentID = contentID
            self.filename = filename
            self.png = png
        }
    }

    public let from: MailAddress
    public let to: MailAddress
    public let subject: String
    public let body: String
    /// Seconds since 1970, UTC.
    public let date: Date
    /// Without angle brackets: `ntf_…@node.boxoffice.invalid`. Stable for one notification, so
    /// a message sent again after a crash is recognisably the same one.
    public let messageID: String
    /// The same message as HTML, showing `images`; nil for a plain text message.
    public let html: String?
    public let images: [InlineImage]

    public init(
        from: MailAddress, to: MailAddress, subject: String, body: String, date: Date, messageID: String,
        html: String? = nil, images: [InlineImage] = []
    ) {
        self.from = from
        self.to = to
        self.subject = subject
        self.body = body
        self.date = date
        self.messageID = messageID
        self.html = html
        self.images = images
    }

    /// The message as it goes into a `.eml` file or an SMTP DATA command: plain text, or with
    /// HTML, `multipart/related` (RFC 2387) of a `multipart/alternative` (the text, then the HTML)
    /// and the images in base64, each with its Content-ID.
    public func rendered() -> String {
        var headers = [
            "Date: \(Self.rfc5322Date(date))",
            "From: \(from.headerValue)",
            "To: \(to.headerValue)",
            "Subject: \(Self.encodedWords(Self.headerSafe(subject)))",
            "Message-ID: <\(Self.headerSafe(messageID))>",
            "MIME-Version: 1.0",
        ]
        guard let html else {
            headers += ["Content-Type: text/plain; charset=utf-8", "Content-Transfer-Encoding: quoted-printable"]
            return headers.joined(separator: "\r\n") + "\r\n\r\n" + Self.quotedPrintable(body) + "\r\n"
        }
        // Boundaries no quoted-printable or base64 line can contain (they hold "_" and "=").
        let related = "=_related_\(Self.headerSafe(messageID).utf8.count)_\(images.count)"
        let alternative = "=_alternative_\(Self.headerSafe(messageID).utf8.count)"
        headers.append("Content-Type: multipart/related; boundary=\"\(related)\";\r\n type=\"multipart/alternative\"")
        var parts = [
            "--\(related)",
            "Content-Type: multipart/alternative; boundary=\"\(alternative)\"",
            "",
            "--\(alternative)",
            "Content-Type: text/plain; charset=utf-8",
            "Content-Transfer-Encoding: quoted-printable",
            "",
            Self.quotedPrintable(body),
            "--\(alternative)",
            "Content-Type: text/html; charset=utf-8",
            "Content-Transfer-Encoding: quoted-printable",
            "",
            Self.quotedPrintable(html),
            "--\(alternative)--",
        ]
        for image in images {
            let name = Self.headerSafe(image.filename).filter { $0 != "\"" && $0 != "\\" }
            parts += [
                "--\(related)",
                "Content-Type: image/png; name=\"\(name)\"",
                "Content-Transfer-Encoding: base64",
                "Content-ID: <\(Self.headerSafe(image.contentID))>",
                "Content-Disposition: inline; filename=\"\(name)\"",
                "",
                Self.base64Lines(image.png),
            ]
        }
        parts.append("--\(related)--")
        return headers.joined(separator: "\r\n") + "\r\n\r\n" + parts.joined(separator: "\r\n") + "\r\n"
    }

    /// Base64 in lines of 76 characters (RFC 2045).
    static func base64Lines(_ bytes: [UInt8]) -> String {
        let text = Array(Data(bytes).base64EncodedString().utf8)
        return stride(from: 0, to: text.count, by: 76).map {
            String(decoding: text[$0..<min($0 + 76, text.count)], as: UTF8.self)
        }.joined(separator: "\r\n")
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
