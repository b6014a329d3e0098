import SyncWire

extension Timestamp {
    /// `2026-12-31 20:00:00.000`: how central's DATETIME(3) columns (UTC sessions) take a time.
    public var sqlText: String {
        let iso = description
        return String(iso.prefix(10)) + " " + String(iso.dropFirst(11).prefix(12))
    }

    /// Reads a DATETIME(3) value (`2026-12-31 20:00:00.000`, fraction optional) as UTC.
    public init?(sqlText text: String) {
        self.init(iso8601: text.replacingOccurrences(of: " ", with: "T") + "Z")
    }
}
