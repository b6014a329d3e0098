/// Sizes both sides agree on. Text limits are counted in Unicode code points, as MySQL counts a
/// `VARCHAR(n)` in utf8mb4 — not in user-perceived characters (a letter with a combining accent
/// is one character and two code points) — so a value the node accepts always fits at central.
public enum SyncLimits {
    /// `record_type` of an outbox record.
    public static let recordType = 40
    /// `entity_id` of a record or change: long enough for the longest derived id
    /// (`EVENT/CATEGORY`, two codes of ``code`` and a slash).
    public static let entityID = 128
    /// A record's payload, in bytes; a larger one is withheld and parked at central.
    public static let maxPayloadBytes = 1 << 20
    /// The payloads of one push, in bytes (after its first record): well below MySQL's 16 MiB packet.
    public static let maxBatchBytes = 4 << 20

    /// Event, category, venue, seat, section and node codes.
    public static let code = 40
    /// Event, venue and category names.
    public static let name = 200
    public static let customerName = 200
    public static let email = 254
    public static let phone = 32
    /// A refund's or cancellation's reason.
    public static let reason = 500
    /// A key revocation's reason: one line every door prints with each ticket it refuses.
    public static let revocationReason = 200
    /// A card terminal's reference.
    public static let paymentReference = 64
    public static let idempotencyKey = 128

    /// The length of `text` as a `VARCHAR` counts it.
    public static func length(_ text: String) -> Int { text.unicodeScalars.count }

    /// True when `scalar` would act on a terminal rather than show: a control character (C0, DEL,
    /// C1: line breaks, escape sequences) or a bidirectional override that reorders what follows.
    public static func isControl(_ scalar: Unicode.Scalar) -> Bool {
        scalar.properties.generalCategory == .control || (0x202A...0x202E).contains(scalar.value)
            || (0x2066...0x2069).contains(scalar.value)
    }

    /// `text` with each character ``isControl(_:)`` finds replaced by a space: what another
    /// program wrote, made safe to print on one line of a terminal.
    public static func printable(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: isControl) else { return text }
        var scalars = String.UnicodeScalarView()
        for scalar in text.unicodeScalars { scalars.append(isControl(scalar) ? " " : scalar) }
        return String(scalars)
    }

    /// `text` cut to at most `limit` code points (for messages and details, never for facts).
    public static func clip(_ text: String, to limit: Int) -> String {
        text.unicodeScalars.count <= limit ? text : String(String.UnicodeScalarView(text.unicodeScalars.prefix(limit)))
    }
}
