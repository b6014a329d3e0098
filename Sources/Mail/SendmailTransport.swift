import Foundation

/// Pipes each message to a sendmail-compatible command (`sendmail -i -f FROM -- TO`), as Postfix,
/// Exim, OpenSMTPD and msmtp provide. Exit 0 is taken; the sysexits codes for a bad address or
/// message (64–68) are permanent; anything else (75 EX_TEMPFAIL included) is retried.
public struct SendmailTransport: MailTransport {
    public let path: String

    public init(path: String) { self.path = path }

    public func send(_ message: EmailMessage) throws {
        for mailbox in [message.from, message.to] where !mailbox.isValid {
            throw MailError("'\(mailbox.address.prefix(60))' is not an address to hand to \(path)", permanent: true)
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = ["-i", "-f", message.from.address, "--", message.to.address]
        let input = Pipe()
        let errors = Pipe()
        process.standardInput = input
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        do {
            try process.run()
        } catch {
            throw MailError("cannot run \(path): \(error.localizedDescription)")
        }
        input.fileHandleForWriting.write(Data(message.rendered().utf8))
        try? input.fileHandleForWriting.close()
        let said = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        let status = process.terminationStatus
        guard process.terminationReason == .exit, status == 0 else {
            let detail = said.split(separator: "\n").first.map { ": \($0.prefix(200))" } ?? ""
            throw MailError("\(path) exited \(status)\(detail)", permanent: (64...68).contains(status))
        }
    }

    public var description: String { "sendmail:\(path)" }
}
