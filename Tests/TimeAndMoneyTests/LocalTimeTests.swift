import Testing

@testable import TimeAndMoney

@Suite struct LocalTimeTests {
    @Test(arguments: [
        ("Europe/Amsterdam", "2026-12-31T20:00:00Z", "31 Dec 2026 21:00 CET"),
        ("Europe/Amsterdam", "2026-07-14T18:30:00Z", "14 Jul 2026 20:30 CEST"),
        ("Europe/London", "2026-07-14T18:30:00Z", "14 Jul 2026 19:30 BST"),
        ("America/New_York", "2026-12-31T20:00:00Z", "31 Dec 2026 15:00 EST"),
        ("Asia/Tokyo", "2026-12-31T20:00:00Z", "1 Jan 2027 05:00 JST"),
        ("Asia/Dubai", "2026-12-31T20:00:00Z", "1 Jan 2027 00:00 GMT+4"),
        ("Asia/Kathmandu", "2026-12-31T20:00:00Z", "1 Jan 2027 01:45 GMT+5:45"),
        ("America/Sao_Paulo", "2026-12-31T20:00:00Z", "31 Dec 2026 17:00 GMT-3"),
        ("UTC", "2026-12-31T20:00:00Z", "31 Dec 2026 20:00 UTC"),
        ("Europe/Amsterdam", "2041-07-14T06:05:00.999Z", "14 Jul 2041 08:05 CEST"),
    ])
    func peopleReadTheVenuesLocalTime(zone: String, utc: String, expected: String) throws {
        let time = try #require(Timestamp(iso8601: utc))
        #expect(LocalTime(zone: zone)?.format(time) == expected)
    }

    /// The abbreviations a zone's times carry around a moment, by offset, as `format` writes them.
    @Test(arguments: [
        ("America/St_Johns", [-12600: "NST", -9000: "NDT"]),
        ("Europe/Amsterdam", [3600: "CET", 7200: "CEST"]),
        ("Asia/Dubai", [14400: "GMT+4"]),
        ("UTC", [0: "UTC"]),
    ])
    func aZonesAbbreviationsByOffset(zone: String, expected: [Int64: String]) throws {
        let now = try #require(Timestamp(iso8601: "2026-12-06T12:00:00Z"))
        #expect(LocalTime(zone: zone)?.abbreviations(around: now) == expected)
    }

    @Test func onlyZonesTheSystemKnows() {
        #expect(LocalTime.isZone("Europe/Amsterdam") && LocalTime.isZone("UTC"))
        #expect(!LocalTime.isZone("Europe/Atlantis") && !LocalTime.isZone("") && LocalTime(zone: "Mars/Olympus") == nil)
    }

    /// A local day runs from its first moment to the next day's: 23 hours when the clocks go
    /// forward, 25 when they go back, and from 01:00 where midnight is skipped (Chile).
    @Test(arguments: [
        ("Europe/Amsterdam", "2026-07-14", "2026-07-13T22:00:00.000Z", "2026-07-14T21:59:59.999Z"),
        ("Europe/Amsterdam", "2026-03-29", "2026-03-28T23:00:00.000Z", "2026-03-29T21:59:59.999Z"),
        ("Europe/Amsterdam", "2026-10-25", "2026-10-24T22:00:00.000Z", "2026-10-25T22:59:59.999Z"),
        ("America/Santiago", "2026-09-06", "2026-09-06T04:00:00.000Z", "2026-09-07T02:59:59.999Z"),
        ("UTC", "2028-02-29", "2028-02-29T00:00:00.000Z", "2028-02-29T23:59:59.999Z"),
    ])
    func aLocalDay(zone: String, date: String, from: String, until: String) throws {
        let day = try #require(LocalTime(zone: zone)?.day(date, now: Timestamp(milliseconds: 0)))
        #expect(day.from.description == from && day.until.description == until, "\(day)")
    }

    @Test func todayIsTheLocalDayOfNow() throws {
        let now = try #require(Timestamp(iso8601: "2026-12-31T23:30:00Z"))
        let day = try #require(LocalTime(zone: "Europe/Amsterdam")?.day(nil, now: now))
        #expect(day.from.description == "2026-12-31T23:00:00.000Z")
    }

    @Test(arguments: [
        "2026-02-29", "2026-13-01", "2026-00-10", "2026-04-31", "26-01-01", "2026-1-01x", "2026/01/01", "+026-01-01",
        "2026-+1-01", "",
    ])
    func notADay(date: String) {
        #expect(LocalTime(zone: "UTC")?.day(date, now: Timestamp(milliseconds: 0)) == nil)
    }
}
