import FoundationEssentials

/// The node's one JSON encoding: snake_case keys, sorted, compact. Used for outbox payloads,
/// notification payloads and audit details, so equal values always give equal bytes.
public enum JSONText {
    /// `value` as compact JSON with sorted snake_case keys; throws what the encoder throws (a
    /// non-finite number, say) rather than writing anything else.
    public static func encode<T: Encodable>(_ value: T) throws -> String {
        String(decoding: try encoder().encode(value), as: UTF8.self)
    }

    /// Decodes snake_case JSON into `type`.
    public static func decode<T: Decodable>(_ type: T.Type, from text: String) throws -> T {
        try decoder().decode(type, from: Data(text.utf8))
    }

    /// The encoder: snake_case keys (`orderID` → `order_id`), sorted.
    public static func encoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.keyEncodingStrategy = .convertToSnakeCase
        return encoder
    }

    /// The decoder: snake_case keys back to Swift names, acronyms included (`order_id` → `orderID`,
    /// `hold_ttl_seconds` → `holdTTLSeconds`), which Foundation's `convertFromSnakeCase` gets wrong.
    public static func decoder() -> JSONDecoder {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .custom { path in
            AnyKey(swiftName(path.last!.stringValue))
        }
        return decoder
    }

    static let acronyms: Set<String> = ["id", "ttl", "url", "http", "json", "sql"]

    /// `order_id` → `orderID`; the first word stays lower case.
    static func swiftName(_ key: String) -> String {
        let words = key.split(separator: "_")
        guard words.count > 1 else { return key }
        return String(words[0])
            + words.dropFirst().map { word in
                acronyms.contains(String(word)) ? word.uppercased() : word.prefix(1).uppercased() + word.dropFirst()
            }.joined()
    }

    private struct AnyKey: CodingKey {
        let stringValue: String
        let intValue: Int? = nil
        init(_ string: String) { stringValue = string }
        init?(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { return nil }
    }
}
