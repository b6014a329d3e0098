import Testing

@testable import SyncWire

@Suite struct WireValueTests {
    @Test func timestampsRoundTripExactlyThroughISO8601() {
        for milliseconds: Int64 in [
            0, 5, 1_004, -1, -86_400_001, 951_782_400_000, 1_900_000_000_123, 253_402_300_799_999,
        ] {
            let time = Timestamp(milliseconds: milliseconds)
            #expect(Timestamp(iso8601: time.description) == time, "\(time)")
        }
        #expect(Timestamp(milliseconds: 951_782_400_000).description == "2000-02-29T00:00:00.000Z")
        #expect(Timestamp(milliseconds: 253_402_300_799_999).description == "9999-12-31T23:59:59.999Z")
        #expect(Timestamp(milliseconds: -62_135_596_800_001).description == "0000-12-31T23:59:59.999Z")
        #expect(Timestamp(milliseconds: 1_004).description == "1970-01-01T00:00:01.004Z")
        #expect(Timestamp(iso8601: "2026-12-31T21:00:00+01:00") == Timestamp(iso8601: "2026-12-31T20:00:00Z"))
        #expect(
            Timestamp(iso8601: "2026-12-31T20:00:00.5Z")?.milliseconds == Timestamp(iso8601: "2026-12-31T20:00:00Z")!
                .milliseconds + 500)
        for bad in [
            "", "2026-13-01T00:00:00Z", "2026-02-30T00:00:00Z", "2026-12-31 20:00:00Z", "2026-12-31T20:00:00",
            "2026-12-31T20:00:00.Z",
        ] {
            #expect(Timestamp(iso8601: bad) == nil, "\(bad)")
        }
    }

    @Test func snakeCaseKeysRoundTripWithAcronyms() throws {
        #expect(
            JSONText.swiftName("order_id") == "orderID" && JSONText.swiftName("hold_ttl_seconds") == "holdTTLSeconds")
        #expect(JSONText.swiftName("id") == "id" && JSONText.swiftName("node_id") == "nodeID")
        let record = CheckInRecord(
            ticketCode: "T", orderID: "O", eventID: "E", nodeID: "N",
            checkedInAt: Timestamp(milliseconds: 5), actor: "a")
        let text = try JSONText.encode(record)
        #expect(text.contains("\"order_id\":\"O\"") && text.contains("\"checked_in_at\":\"1970-01-01T00:00:00.005Z\""))
        #expect(try JSONText.decode(CheckInRecord.self, from: text) == record)
    }
}

@Suite struct RecordTextTests {
    static func record(customer: OrderPlacedRecord.Customer?, seat: String?, reference: String?) -> OrderPlacedRecord {
        OrderPlacedRecord(
            orderID: "ord_01", nodeID: "AMS-1", eventID: "GALA/2026", categoryCode: "STALLS",
            idempotencyKey: "key:1", holdID: reference == nil ? nil : "hold_1", customer: customer,
            tickets: [
                .init(code: "K7QX-3M9D-PA2F-W8ZR", seat: seat, priceMinor: 4500),
                .init(code: "AAAA-BBBB-CCCC-DDDD", seat: nil, priceMinor: 0),
            ],
            totalMinor: 4500, currency: "EUR",
            payment: .init(
                id: "pay_1", method: reference == nil ? .cash : .card, amountMinor: 4500,
                tenderedMinor: reference == nil ? 5000 : nil, changeMinor: reference == nil ? 500 : nil,
                reference: reference),
            createdAt: Timestamp(milliseconds: 1_798_747_200_123), createdBy: "cal",
            requestFingerprint: reference == nil ? nil : "ab12")
    }

    @Test func theSaleRecordIsWrittenByteForByteAsTheEncoderWritesIt() throws {
        let records = [
            Self.record(customer: nil, seat: nil, reference: nil),
            Self.record(
                customer: .init(
                    id: "cus_1", email: "zoë@example.org", name: "Zoë \"Q\" O'Brien\\\n\t\u{1}", phone: nil),
                seat: "STALLS-A-1", reference: "T/9"),
            Self.record(
                customer: .init(id: "cus_2", email: "a@b.c", name: nil, phone: "+31 20 123"), seat: "😀", reference: "r"),
        ]
        for record in records {
            #expect(record.jsonText == (try JSONText.encode(record)))
            #expect(try JSONText.decode(OrderPlacedRecord.self, from: record.jsonText) == record)
        }
    }
}

@Suite struct SeatSelectorTests {
    @Test func selectsSectionsRowsSeatsAndRanges() throws {
        let selector = try #require(SeatSelector("STALLS-A-3..5"))
        #expect((1...7).filter { selector.matches(section: "STALLS", row: "A", number: $0) } == [3, 4, 5])
        #expect(!selector.matches(section: "STALLS", row: "B", number: 4))
        #expect(SeatSelector("*")!.matches(section: "X", row: "Y", number: 1))
        #expect(SeatSelector("STALLS")!.matches(section: "STALLS", row: "Q", number: 9))
        #expect(SeatSelector("STALLS-Q")!.matches(section: "STALLS", row: "Q", number: 9))
        #expect(SeatSelector("STALLS-Q-9")!.matches(section: "STALLS", row: "Q", number: 9))
        #expect(!SeatSelector("STALLS-Q-9")!.matches(section: "STALLS", row: "Q", number: 19))
        for bad in ["STALLS-A-9..2", "STALLS-A-x..3", "STALLS-A-0..3", "..", "A..3"] {
            #expect(SeatSelector(bad) == nil, "\(bad)")
        }
    }
}
