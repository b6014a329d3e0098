import FoundationEssentials
import SyncWire

/// A mailbox: an address with an optional display name, as RFC 5322 headers write it.
public struct MailAddress: Sendable, Equatable, CustomStringConvertible {
    public let name: String?
    /// `local@domain`, as SMTP's envelope takes it.
    public let address: String

    public init(name: String? = nil, address: String) {
        self.name = name.flatMap { $0.trimmingSpaces.isEmpty ? nil : $0 }
        self.address = address
    }

    /// `Box Office <boxoffice@example.org>` or a bare `boxoffice@example.org`; nil when there is
    /// no plausible address (no `@`, spaces, or angle brackets in the wrong place).
    public init?(parsing text: String) {
        let text = text.trimmingSpaces
        if let open = text.lastIndex(of: "<"), text.hasSuffix(">") {
            let address = String(text[text.index(after: open)..<text.index(before: text.endIndex)])
            var name = text[..<open].trimmingSpaces
            if name.count >= 2, name.hasPrefix("\""), name.hasSuffix("\"") {
                name = String(name.dropFirst().dropLast())
            }
            guard Self.isAddress(address) else { return nil }
            self.init(name: name.isEmpty ? nil : name, address: address)
        } else {
            guard Self.isAddress(text) else { return nil }
            self.init(address: text)
        }
    }

    /// True for `local@domain` in printable ASCII without spaces or specials: safe in an SMTP
    /// command and a header.
    public var isValid: Bool { Self.isAddress(address) }

    static func isAddress(_ text: String) -> Bool {
        let parts = text.split(separator: "@", omittingEmptySubsequences: false)
        return parts.count == 2 && !parts[0].isEmpty && !parts[1].isEmpty
            && text.unicodeScalars.allSatisfy {
                $0.isASCII && $0.value > 32 && !"<>()[]\\,;:\"".unicodeScalars.contains($0)
            }
    }

    /// The header form: the name as an atom phrase when it can be one, a quoted string when it
    /// holds specials, RFC 2047 encoded words when it is not ASCII.
    public var headerValue: String {
        let address = EmailMessage.headerSafe(self.address)
        guard let name = EmailMessage.headerSafe(name ?? "").nilIfEmpty else { return address }
        let atext = Set(
            "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789!#$%&'*+-/=?^_`{|}~ ".unicodeScalars)
        let phrase: String
        if !name.unicodeScalars.allSatisfy({ $0.isASCII }) {
            phrase = EmailMessage.encodedWords(name)
        } else if name.unicodeScalars.allSatisfy({ atext.contains($0) }) {
            phrase = name
        } else {
            phrase =
                "\"" + name.replacing("\\", with: "\\\\").replacing("\"", with: "\\\"")
                + "\""
        }
        return "\(phrase) <\(address)>"
    }

    public var description: String { headerValue }
}

extension String {
    fileprivate var nilIfEmpty: String? { isEmpty ? nil : self }
}
