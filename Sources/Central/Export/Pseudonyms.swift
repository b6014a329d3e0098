import EdgeCrypto

/// Replaces people's data by pseudonyms derived with HMAC-SHA256 under a key: the same value
/// always gives the same pseudonym (a customer stays one person across orders, and across exports
/// made with the same key), and without the key no pseudonym can be traced back, not even by
/// trying likely emails. Nothing of the original survives: not a character of an email's domain,
/// a name's initial or a card reference's digits.
public struct Pseudonyms: Sendable {
    let key: [UInt8]

    /// Pseudonyms under `key` (at least 16 bytes).
    public init(key: [UInt8]) { self.key = key }

    /// A key for one export: its pseudonyms match no other export's.
    public static func freshKey() -> [UInt8] { SecureRandom.bytes(32) }

    private func digest(_ kind: String, _ value: String, length: Int) -> String {
        String(Hex.encode(HMACSHA256.authenticationCode(for: Array("\(kind):\(value)".utf8), key: key)).prefix(length))
    }

    public func email(_ value: String) -> String {
        "c-\(digest("email", value.lowercased(), length: 16))@example.invalid"
    }
    public func name(_ value: String) -> String { "Customer \(digest("name", value, length: 8))" }

    /// A phone number of the same shape for every original: `+999` and 9 digits.
    public func phone(_ value: String) -> String {
        let digits = digest("phone", value, length: 12).unicodeScalars.map { String(Int($0.value) % 10) }.joined()
        return "+999" + digits.prefix(9)
    }

    /// A card terminal reference, masked: equal references stay equal (duplicate-reference
    /// findings survive), none of the original characters remain.
    public func cardReference(_ value: String) -> String { "****\(digest("reference", value, length: 12))" }

    /// Free text staff wrote (a refund reason may name a customer).
    public func note(_ value: String) -> String { "note \(digest("note", value, length: 8))" }

    /// A staff member's name.
    public func staff(_ value: String) -> String { "staff-\(digest("staff", value, length: 8))" }

    /// A sale's idempotency key (cashiers may type anything into it); duplicates stay duplicates.
    public func idempotencyKey(_ value: String) -> String { "key-\(digest("key", value, length: 24))" }
}
