import FoundationEssentials

/// Where customer emails go: an SMTP relay, a sendmail-style command, or a spool folder.
public protocol MailTransport: Sendable {
    /// Hands `message` over for delivery; throws ``MailError`` when it was not taken.
    func send(_ message: EmailMessage) throws
    /// Goes as far towards delivering a message from `sender` as it can without delivering one,
    /// within `timeout` seconds a step (a smoke test); throws ``MailError`` where a real send
    /// would fail. Returns what it checked, for a report.
    func check(sender: MailAddress, timeout: Int) throws -> String
    /// Where it delivers, without secrets, for logs and reports.
    var description: String { get }
}

/// A message was not taken. Permanent (a 5xx reply, an unknown recipient) is not worth retrying;
/// anything else (a 4xx reply, no connection, a timeout, TLS not offered) is retried with backoff.
public struct MailError: Error, Equatable, Sendable, CustomStringConvertible {
    public let message: String
    public let isPermanent: Bool

    public init(_ message: String, permanent: Bool = false) {
        self.message = message
        isPermanent = permanent
    }

    public var description: String { message }
}

/// Reads a transport from its text form, as `--mail` and `SYNCD_MAIL` take it.
public enum MailTransports {
    /// `smtp://host[:port][?starttls=auto|required|off&ca=FILE&helo=NAME]` (port 25, STARTTLS when
    /// offered), `sendmail:PATH` (`sendmail:` alone is `/usr/sbin/sendmail`), or `spool:DIR`.
    public static func parse(_ text: String) throws -> any MailTransport {
        if text.hasPrefix("spool:") {
            let folder = String(text.dropFirst("spool:".count))
            guard !folder.isEmpty else { throw MailError("spool: needs a folder, e.g. spool:/var/lib/venue/spool") }
            return SpoolTransport(folder: folder)
        }
        if text.hasPrefix("sendmail:") {
            let path = String(text.dropFirst("sendmail:".count))
            return SendmailTransport(path: path.isEmpty ? "/usr/sbin/sendmail" : path)
        }
        guard let url = URLComponents(string: text), url.scheme == "smtp", let host = url.host, !host.isEmpty else {
            throw MailError(
                "a mail transport is smtp://host[:port], sendmail:PATH or spool:DIR, not '\(text.prefix(60))'")
        }
        guard url.user == nil, url.password == nil else {
            throw MailError("smtp URLs take no credentials: relay through a host that accepts this node's address")
        }
        var options = SMTPTransport.Options(host: host, port: url.port ?? 25)
        for item in url.queryItems ?? [] {
            switch (item.name, item.value ?? "") {
            case ("starttls", let value):
                guard let mode = SMTPTransport.StartTLS(rawValue: value) else {
                    throw MailError("starttls must be auto, required or off, not '\(value.prefix(20))'")
                }
                options.startTLS = mode
            case ("ca", let value) where !value.isEmpty: options.caFile = value
            case ("helo", let value) where !value.isEmpty: options.helo = value
            default: throw MailError("unknown smtp URL option '\(item.name.prefix(40))'; known: starttls, ca, helo")
            }
        }
        return SMTPTransport(options: options)
    }
}
