import SyncWire

/// Central's clock and the times it can store.
package enum CentralClock {
    /// A `NOW(3)` read from the server: the time every arrival is stamped with.
    package static func timestamp(_ text: String) throws -> Timestamp {
        guard let time = Timestamp(sqlText: text) else {
            throw CentralError.rejected(code: "clock", message: "cannot read central's clock: \(text)")
        }
        return time
    }

    /// `time` as DATETIME(3) text, or nil when a DATETIME cannot hold it (before 1000 or after 9999).
    package static func storable(_ time: Timestamp) -> String? {
        (1000...9999).contains(time.civil.year) ? time.sqlText : nil
    }
}
