import FoundationEssentials

/// Delivers each message to an SMTP relay (RFC 5321) in a session of its own: EHLO, STARTTLS
/// when the relay offers it (or always, with `starttls=required`), MAIL FROM, RCPT TO, DATA with
/// dot-stuffing, QUIT. A 5xx reply is permanent; a 4xx reply, a broken connection, a timeout or a
/// missing required STARTTLS is retried by the caller.
public struct SMTPTransport: MailTransport {
    /// Whether to encrypt with STARTTLS.
    public enum StartTLS: String, Sendable {
        /// When the relay offers it (a relay on the same host often does not).
        case auto
        /// Always; a relay that does not offer it gets nothing.
        case required
        /// Never (a relay reached over a trusted link only).
        case off
    }

    public struct Options: Sendable {
        public var host: String
        public var port: Int
        public var startTLS = StartTLS.auto
        /// CA certificates to verify the relay with; nil: the system's.
        public var caFile: String?
        /// The name this node gives in EHLO.
        public var helo = ProcessInfo.processInfo.hostName
        /// Seconds for the connection and for each reply.
        public var timeout = 30

        public init(host: String, port: Int) {
            self.host = host
            self.port = port
        }
    }

    public let options: Options

    public init(options: Options) { self.options = options }

    public var description: String { "smtp://\(options.host):\(options.port) (starttls \(options.startTLS.rawValue))" }

    public func send(_ message: EmailMessage) throws {
        for mailbox in [message.from, message.to] where !mailbox.isValid {
            throw MailError("'\(mailbox.address.prefix(60))' is not an address SMTP can carry", permanent: true)
        }
        try session(timeout: options.timeout) { connection, extensions, expect in
            let eightBit = extensions.split(separator: "\n").contains { $0.uppercased().hasPrefix("8BITMIME") }
            try connection.send("MAIL FROM:<\(message.from.address)>\(eightBit ? " BODY=8BITMIME" : "")\r\n")
            _ = try expect("the sender", 250...250)
            try connection.send("RCPT TO:<\(message.to.address)>\r\n")
            _ = try expect("the recipient \(message.to.address)", 250...251)
            try connection.send("DATA\r\n")
            _ = try expect("DATA", 354...354)
            try connection.send(Self.dotStuffed(message.rendered()) + ".\r\n")
            _ = try expect("the message", 250...250)
        }
    }

    /// The session up to the sender: the greeting, EHLO, STARTTLS as configured (the relay's
    /// certificate verified), `MAIL FROM` accepted; then `RSET`, and nothing is sent.
    public func check(sender: MailAddress, timeout: Int) throws -> String {
        guard sender.isValid else {
            throw MailError("'\(sender.address.prefix(60))' is not an address SMTP can carry", permanent: true)
        }
        var encrypted = false
        try session(timeout: timeout) { connection, _, expect in
            encrypted = connection.isEncrypted
            try connection.send("MAIL FROM:<\(sender.address)>\r\n")
            _ = try expect("the sender", 250...250)
            try connection.send("RSET\r\n")
            _ = try expect("RSET", 250...250)
        }
        return "\(options.host):\(options.port) accepts mail from \(sender.address)\(encrypted ? " over TLS" : "")"
    }

    /// One SMTP session: connects, reads the greeting, says EHLO, starts TLS when it should, runs
    /// `body` with the connection, the relay's extensions and a reply reader, then QUITs.
    private func session(
        timeout: Int,
        _ body: (SMTPConnection, String, (String, ClosedRange<Int>) throws -> String) throws -> Void
    ) throws {
        let connection = try SMTPConnection(host: options.host, port: options.port, timeout: timeout)
        func expect(_ step: String, _ accepted: ClosedRange<Int>) throws -> String {
            let reply = try connection.readReply()
            guard accepted.contains(reply.code) else {
                throw MailError(
                    "\(options.host) refused \(step): \(reply.code) \(reply.text.prefix(200))",
                    permanent: reply.code >= 500)
            }
            return reply.text
        }
        _ = try expect("the connection", 220...220)
        try connection.send("EHLO \(options.helo)\r\n")
        var extensions = try expect("EHLO", 250...250)
        let offersTLS = extensions.split(separator: "\n").contains { $0.uppercased().hasPrefix("STARTTLS") }
        if options.startTLS == .required || (options.startTLS == .auto && offersTLS) {
            guard offersTLS else { throw MailError("\(options.host) does not offer STARTTLS, which is required") }
            try connection.send("STARTTLS\r\n")
            _ = try expect("STARTTLS", 220...220)
            try connection.startTLS(host: options.host, caFile: options.caFile)
            try connection.send("EHLO \(options.helo)\r\n")
            extensions = try expect("EHLO after STARTTLS", 250...250)
        }
        try body(connection, extensions, expect)
        try? connection.send("QUIT\r\n")
        _ = try? connection.readReply()
    }

    /// The message with each line that starts with `.` given another (RFC 5321 §4.5.2), ending in CRLF.
    static func dotStuffed(_ text: String) -> String {
        var lines = text.split(separator: "\r\n", omittingEmptySubsequences: false).map(String.init)
        if lines.last == "" { lines.removeLast() }
        return lines.map { $0.hasPrefix(".") ? "." + $0 : $0 }.joined(separator: "\r\n") + "\r\n"
    }
}
