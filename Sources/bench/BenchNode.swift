import Foundation
import Ticketing

/// A node database for the benchmark: one venue of 5,000 seats, one event with a GA category of
/// 10,000,000 and a seated category over every seat, all allocated to this node.
final class BenchNode {
    let path: String
    let node: VenueNode
    let admin: Operator

    static let reference = """
        { "format": "venue-reference/1", "parameters": { "currency": "EUR", "max_tickets_per_order": 20 },
          "venues": [ { "id": "ARENA", "name": "Bench Arena", "timezone": "Europe/Amsterdam",
                        "sections": [ { "code": "FLOOR", "rows": [ { "labels": "A-Z", "seats": 100 } ] },
                                      { "code": "RING", "rows": [ { "labels": "A-X", "seats": 100 } ] } ] } ],
          "events": [ { "id": "BENCH", "venue": "ARENA", "name": "Bench Night", "starts_at": "2035-06-01T19:00:00Z",
                        "status": "on_sale",
                        "categories": [ { "code": "GA", "name": "Standing", "kind": "ga", "price_minor": 2500, "capacity": 10000000 },
                                        { "code": "SEATED", "name": "Seats", "kind": "seated", "price_minor": 5000,
                                          "sections": ["FLOOR", "RING"] } ] } ],
          "allocations": [ { "node": "BENCH-1", "event": "BENCH", "category": "GA", "quota": 10000000 },
                           { "node": "BENCH-1", "event": "BENCH", "category": "SEATED", "seats": ["*"] } ],
          "staff": [] }
        """

    init(in directory: String, name: String, durability: NodeOptions.Durability = .full) throws {
        path = "\(directory)/\(name).sqlite"
        let options = NodeOptions(durability: durability)
        _ = try VenueNode.initialize(
            path: path, nodeID: "BENCH-1", adminName: "root", password: "bench-password", options: options)
        node = try VenueNode.open(path: path, options: options)
        let session = try node.users.login(name: "root", password: "bench-password")
        admin = try node.users.authenticate(token: session.token)
        let file = "\(directory)/\(name).json"
        try Self.reference.write(toFile: file, atomically: true, encoding: .utf8)
        _ = try node.catalog.importReference(file: file, by: admin)
    }

    /// One sale of one ticket, cash; seated sales take the best available seat.
    func sell(category: String) throws {
        _ = try node.sales.sell(
            SaleRequest(
                eventID: "BENCH", categoryCode: category, selection: .quantity(1),
                payment: PaymentRequest(method: .cash)), by: admin)
    }

    /// Throws when the inventory's books do not balance.
    func checkInvariants() throws { try Self.checkInvariants(of: node) }

    /// Throws when the inventory's books of the node at `path` do not balance.
    static func checkInvariants(at path: String) throws { try checkInvariants(of: VenueNode.open(path: path)) }

    private static func checkInvariants(of node: VenueNode) throws {
        let problems = try node.inventory.violations()
        guard problems.isEmpty else { throw BenchError("inventory invariants broken: \(problems.prefix(3))") }
    }
}
