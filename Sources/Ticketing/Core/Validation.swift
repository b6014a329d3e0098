import FoundationEssentials
import SyncWire

/// Checks on free text before it reaches the database: bounded length, no control characters.
/// Values are always bound as parameters, so SQL metacharacters are harmless data here.
enum Validation {
    /// `value` trimmed, or an error naming `field` when empty, too long or containing control
    /// characters. Length is counted in code points, as central's `VARCHAR` columns count it (an
    /// accent written as a combining mark counts on its own), so what passes here fits there.
    static func text(_ value: String, field: String, maxLength: Int) throws -> String {
        let trimmed = value.trimmingSpaces
        guard !trimmed.isEmpty else { throw TicketingError.invalidInput("\(field) must not be empty") }
        let length = SyncLimits.length(trimmed)
        guard length <= maxLength else {
            throw TicketingError.invalidInput(
                "\(field) is too long (\(length) characters, accents written apart counted on their own; "
                    + "at most \(maxLength))")
        }
        guard !trimmed.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else {
            throw TicketingError.invalidInput("\(field) must not contain control characters or line breaks")
        }
        return trimmed
    }

    /// A lower-cased email address of plausible shape (RFC 5321 length limits, one `@`, a dot in
    /// the domain, no spaces or quotes).
    static func email(_ value: String) throws -> String {
        let email = try text(value, field: "email", maxLength: SyncLimits.email).lowercased()
        let parts = email.split(separator: "@", omittingEmptySubsequences: false)
        let allowed = Set("abcdefghijklmnopqrstuvwxyz0123456789.!#$%&'*+/=?^_`{|}~-")
        guard parts.count == 2, (1...64).contains(parts[0].count), parts[1].count >= 3,
            parts[0].allSatisfy({ allowed.contains($0) }),
            parts[1].contains("."), !parts[1].hasPrefix("."), !parts[1].hasSuffix("."),
            parts[1].allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "." || $0 == "-") })
        else { throw TicketingError.invalidInput("'\(email.prefix(60))' is not a valid email address") }
        return email
    }

    /// A staff user name: 2–32 lower-case letters, digits, dot, dash or underscore.
    static func staffName(_ value: String) throws -> String {
        let allowed = Set("abcdefghijklmnopqrstuvwxyz0123456789._-")
        guard (2...32).contains(value.count), value.allSatisfy({ allowed.contains($0) }) else {
            throw TicketingError.invalidInput("user name must be 2 to 32 lower-case letters, digits, '.', '-' or '_'")
        }
        guard !reservedStaffNames.contains(value) else {
            throw TicketingError.invalidInput(
                "'\(value)' names the node's own actors in the audit log and in what it sends central; choose another user name"
            )
        }
        return value
    }

    /// The actors the node records for what no person did: head office (`central`), the node's own
    /// sweeps (`system`), a restore and a failed login. A person under one of these names would be
    /// read as that actor (central would take a person's event change for its own echo).
    static let reservedStaffNames: Set<String> = ["central", "system", "restore", "login"]

    /// A code for events, categories, venues, nodes and seats: 1–40 letters, digits, `-`, `_`, `.`.
    static func code(_ value: String, field: String) throws -> String {
        guard CodeRule.allows(value) else {
            throw TicketingError.invalidInput("\(field) must be \(CodeRule.description), not '\(value.prefix(40))'")
        }
        return value
    }

    /// A password: 8–1024 characters.
    static func password(_ value: String) throws -> String {
        guard value.count >= 8 else { throw TicketingError.invalidInput("password must have at least 8 characters") }
        guard value.count <= 1024 else {
            throw TicketingError.invalidInput("password must have at most 1024 characters")
        }
        return value
    }
}
