import Testing

@testable import SyncWire

@Suite struct LocalTimeTests {
    @Test(arguments: [
        ("Europe/Amsterdam", "2026-12-31T20:00:00Z", "31 Dec 2026 21:00 CET"),
        ("Europe/Amsterdam", "2026-07-14T18:30:00Z", "14 Jul 2026 20:30 CEST"),
        ("Europe/London", "2026-07-14T18:30:00Z", "14 Jul 2026 19:30 BST"),
        ("America/New_York", "2026-12-31T20:00:00Z", "31 Dec 2026 15:00 EST"),
        ("Asia/Tokyo", "2026-12-31T20:00:00Z", "1 Jan 2027 05:00 GMT+9"),
        ("UTC", "2026-12-31T20:00:00Z", "31 Dec 2026 20:00 UTC"),
    ])
    func peopleReadTheVenuesLocalTime(zone: String, utc: String, expected: String) throws {
        let time = try #require(Timestamp(iso8601: utc))
        #expect(LocalTime(zone: zone)?.format(time) == expected)
    }

    @Test func onlyZonesTheSystemKnows() {
        #expect(LocalTime.isZone("Europe/Amsterdam") && LocalTime.isZone("UTC"))
        #expect(!LocalTime.isZone("Europe/Atlantis") && !LocalTime.isZone("") && LocalTime(zone: "Mars/Olympus") == nil)
    }
}
