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
    /// A card terminal's reference.
    public static let paymentReference = 64
    public static let idempotencyKey = 128

    /// The length of `text` as a `VARCHAR` counts it.
    public static func length(_ text: String) -> Int { text.unicodeScalars.count }

    /// `text` cut to at most `limit` code points (for messages and details, never for facts).
    public static func clip(_ text: String, to limit: Int) -> String {
        text.unicodeScalars.count <= limit ? text : String(String.UnicodeScalarView(text.unicodeScalars.prefix(limit)))
    }
}
