import AtomicFiles

#if canImport(Glibc)
    import Glibc
#endif

/// Writes each message to `<folder>/<message id's local part>.eml` (0600, atomically), for a mail
/// system that picks the folder up, or for inspection. Writing the same message again replaces
/// its file: a resend after a crash leaves one file.
public struct SpoolTransport: MailTransport {
    public let folder: String

    public init(folder: String) { self.folder = folder }

    public func send(_ message: EmailMessage) throws {
        let name = message.messageID.split(separator: "@").first.map(String.init) ?? message.messageID
        do {
            try AtomicFile.makeDirectory(folder)
            try AtomicFile.write(Array(message.rendered().utf8), to: "\(folder)/\(name).eml", mode: 0o600)
        } catch {
            throw MailError("\(error)")
        }
    }

    /// A file written to the folder (as a message would be, flushed) and removed: a full disk
    /// or a folder this user cannot write fails it.
    public func check(sender: MailAddress, timeout: Int) throws -> String {
        let probe = "\(folder)/.smoke-test-\(getpid()).eml"
        do {
            try AtomicFile.makeDirectory(folder)
            try AtomicFile.write(Array(repeating: UInt8(ascii: "x"), count: 4096), to: probe, mode: 0o600)
        } catch {
            throw MailError("\(error)")
        }
        unlink(probe)
        return "\(folder) takes a message"
    }

    public var description: String { "spool:\(folder)" }
}
