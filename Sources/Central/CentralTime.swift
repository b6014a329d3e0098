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

/// Central's clock and the times it can store.
enum CentralClock {
    /// A `NOW(3)` read from the server: the time every arrival is stamped with.
    static func timestamp(_ text: String) throws -> Timestamp {
        guard let time = Timestamp(sqlText: text) else { throw CentralError.rejected(code: "clock", message: "cannot read central's clock: \(text)") }
        return time
    }

    /// `time` as DATETIME(3) text, or nil when a DATETIME cannot hold it (before 1000 or after 9999).
    static func storable(_ time: Timestamp) -> String? {
        (1000...9999).contains(time.civil.year) ? time.sqlText : nil
    }
}
