import EdgeStore
import SQLValues
import TestSupport
import Testing

private enum Shade: String, Codable, SQLTextEnum { case light, dark }

/// A stored moment, as the node keeps times: milliseconds in an INTEGER column.
private struct Millis: Decodable, Equatable, SQLValueDecodable {
    let value: Int64
    static func decode(from value: SQLValue) -> Millis? {
        if case .integer(let number) = value { return Millis(value: number) }
        return nil
    }
}

private struct Item: Decodable, Equatable {
    let itemID: String
    let priceMinor: Int64
    let shade: Shade
    let note: String?
    let soldAt: Millis?
    let isActive: Bool
}

/// The message of the ``RowError`` `body` throws, or nil when it throws none.
private func message(_ body: () throws -> Item) -> String? {
    do {
        _ = try body()
        return nil
    } catch {
        return (error as? RowError)?.message
    }
}

@Suite struct RowDecoderTests {
    let directory = TemporaryDirectory()

    private func database() throws -> Database {
        let db = try Database(path: directory.file("rows.sqlite"))
        try db.executeScript(
            """
            CREATE TABLE item (item_id TEXT, price_minor INTEGER, shade TEXT, note TEXT, sold_at INTEGER, is_active INTEGER);
            INSERT INTO item VALUES ('a', 1250, 'dark', NULL, 1700000000000, 1);
            INSERT INTO item VALUES ('b', 99, 'light', 'gift', NULL, 0);
            """)
        return db
    }

    @Test func propertiesReadTheirSnakeCaseColumnsWithTheirTypes() throws {
        let items = try database().rows("SELECT * FROM item ORDER BY item_id").map { try $0.decode(Item.self) }
        #expect(
            items == [
                Item(
                    itemID: "a", priceMinor: 1250, shade: .dark, note: nil, soldAt: Millis(value: 1_700_000_000_000),
                    isActive: true),
                Item(itemID: "b", priceMinor: 99, shade: .light, note: "gift", soldAt: nil, isActive: false),
            ])
    }

    @Test func aMissingColumnIsAnErrorEvenForAnOptionalProperty() throws {
        let row = try #require(try database().row("SELECT item_id, price_minor, shade, sold_at, is_active FROM item"))
        #expect(message { try row.decode(Item.self) }?.hasPrefix("no column for note") == true)
    }

    @Test func aValueOfAnotherTypeOrAnUnknownCaseIsAnErrorNamingTheColumn() throws {
        let db = try database()
        try db.execute("UPDATE item SET shade = 'purple' WHERE item_id = 'a'")
        let purple = try #require(try db.row("SELECT * FROM item WHERE item_id = 'a'"))
        #expect(message { try purple.decode(Item.self) } == "column shade holds text(\"purple\"), not Shade")
        let nullPrice = try #require(
            try db.row(
                "SELECT item_id, NULL AS price_minor, shade, note, sold_at, is_active FROM item WHERE item_id = 'b'"))
        #expect(message { try nullPrice.decode(Item.self) } == "column price_minor holds null, not Int64")
    }
}
