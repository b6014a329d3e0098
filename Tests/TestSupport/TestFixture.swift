import Foundation

/// A small venue for tests: HALL with section MAIN (rows A–E, 10 seats) and SIDE (rows A–B,
/// 6 seats); events SHOW (GA 100 + seated MAIN), DUO (two GA categories of 100 under an event
/// capacity of 150: the write-skew case), DRAFT (not on sale), all allocated to node TEST-1.
public enum TestFixture {
    public static let nodeID = "TEST-1"

    public static let referenceJSON = """
        {
          "format": "venue-reference/1",
          "parameters": { "currency": "EUR", "hold_ttl": "10m", "max_tickets_per_order": 10 },
          "venues": [ { "id": "HALL", "name": "Test Hall", "timezone": "UTC", "sections": [
            { "code": "MAIN", "rows": [ { "labels": "A-E", "seats": 10 } ] },
            { "code": "SIDE", "rows": [ { "labels": "A-B", "seats": 6 } ] } ] } ],
          "events": [
            { "id": "SHOW", "venue": "HALL", "name": "Test Show", "starts_at": "2030-01-01T20:00:00Z", "status": "on_sale",
              "categories": [
                { "code": "GA", "name": "Standing", "kind": "ga", "price_minor": 2500, "capacity": 100 },
                { "code": "MAIN", "name": "Main floor", "kind": "seated", "price_minor": 5000, "sections": ["MAIN"] },
                { "code": "SIDE", "name": "Side", "kind": "seated", "price_minor": 3000, "sections": ["SIDE"] } ] },
            { "id": "DUO", "venue": "HALL", "name": "Duo", "starts_at": "2030-01-02T20:00:00Z", "status": "on_sale",
              "capacity": 150,
              "categories": [
                { "code": "LEFT", "name": "Left", "kind": "ga", "price_minor": 1000, "capacity": 100 },
                { "code": "RIGHT", "name": "Right", "kind": "ga", "price_minor": 1000, "capacity": 100 } ] },
            { "id": "DRAFT", "venue": "HALL", "name": "Not yet", "starts_at": "2030-02-01T20:00:00Z", "status": "draft",
              "categories": [ { "code": "GA", "name": "Standing", "kind": "ga", "price_minor": 1500, "capacity": 10 } ] }
          ],
          "allocations": [
            { "node": "TEST-1", "event": "SHOW", "category": "GA", "quota": 100 },
            { "node": "TEST-1", "event": "SHOW", "category": "MAIN", "seats": ["*"] },
            { "node": "TEST-1", "event": "SHOW", "category": "SIDE", "seats": ["SIDE-A-1..6"] },
            { "node": "OTHER", "event": "SHOW", "category": "SIDE", "seats": ["SIDE-B"] },
            { "node": "TEST-1", "event": "DUO", "category": "LEFT", "quota": 100 },
            { "node": "TEST-1", "event": "DUO", "category": "RIGHT", "quota": 100 },
            { "node": "TEST-1", "event": "DRAFT", "category": "GA", "quota": 10 }
          ],
          "staff": [ { "name": "sue", "role": "supervisor" }, { "name": "cal", "role": "cashier" } ]
        }
        """

    /// Writes the fixture into `directory` and returns its path.
    public static func write(into directory: TemporaryDirectory) -> String {
        let path = directory.file("reference.json")
        try! referenceJSON.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }
}
