import Foundation
import TestSupport
import Testing
import Ticketing

/// `central report sales`: its figures tie out with what the nodes sold and with reconciliation.
@Suite struct SalesReportTests {
    private func lines(_ result: ProcessResult) throws -> [[String: Any]] {
        let document = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        return try #require(document["lines"] as? [[String: Any]])
    }

    @Test func perEventNodeCategoryAndDayTheFiguresTieOut() throws {
        let world = try SyncWorld()
        let a = try world.makeNode("NODE-A")
        let b = try world.makeNode("NODE-B")
        #expect(try world.syncOnce(a).status == 0 && world.syncOnce(b).status == 0)
        for _ in 0..<3 { try a.sell("BIG", "FLOOR", .quantity(2)) }
        let refunded = try a.sell("SMALL", "GA", .quantity(2))
        _ = try a.node.refunds.refund(
            orderID: refunded.orderID, ticketCodes: [refunded.tickets[0].code], reason: "one of two", by: a.admin)
        for _ in 0..<2 { try b.sell("BIG", "FLOOR") }
        try b.sell("SEATED", "MAIN", .quantity(2), payment: PaymentRequest(method: .card, reference: "T-1"))
        #expect(try world.syncOnce(a).status == 0 && world.syncOnce(b).status == 0)

        let byEvent = try lines(try world.central(["report", "sales", "--json"]))
        var expected = [String: [Int64]]()
        for (key, figures) in try world.centralTotals() {
            let event = String(key.split(separator: "/")[0])
            expected[event] = zip(expected[event] ?? [0, 0, 0, 0], figures).map { $0 + $1 }
        }
        #expect(byEvent.count == 3)
        for line in byEvent {
            let event = try #require(line["event_id"] as? String)
            let figures = try #require(expected[event])
            #expect(
                [line["orders"], line["tickets"], line["revenue_minor"], line["collected_minor"]].map {
                    ($0 as? Int).map(Int64.init)
                }
                    == figures.map { $0 }, "\(event): \(line) against \(figures)")
            #expect(line["revenue_minor"] as? Int == line["collected_minor"] as? Int, "with every refund paid out")
        }
        #expect(byEvent.first { $0["event_id"] as? String == "SMALL" }?["refunded_minor"] as? Int == 2000)

        let byNode = try lines(try world.central(["report", "sales", "--by", "node", "--json"]))
        let big = byNode.filter { $0["event_id"] as? String == "BIG" }
        #expect(
            big.map { $0["group"] as? String } == ["NODE-A", "NODE-B"] && big.map { $0["tickets"] as? Int } == [6, 2])

        let csv = try world.central(["report", "sales", "--by", "category", "--csv"]).stdout
        #expect(
            csv.hasPrefix("event,category,orders,tickets,revenue_minor,refunded_minor,collected_minor,currency\r\n"))
        #expect(csv.contains("SEATED,MAIN,1,2,10000,0,10000,EUR\r\n"), "\(csv)")

        let today = String(world.clock.now().description.prefix(10))
        let byDay = try lines(try world.central(["report", "sales", "--by", "day", "--json"]))
        #expect(byDay.allSatisfy { $0["group"] as? String == today } && byDay.count == 3, "\(byDay)")

        let reconcile = try world.central(["reconcile", "--dry-run"])
        #expect(reconcile.status == 0, "the report's figures are reconciliation's: \(reconcile.stdout)")
        try world.central.execute("UPDATE node SET outbox_pending = 4 WHERE id = 'NODE-B'")
        let text = try world.central(["report", "sales", "--event", "BIG"]).stdout
        #expect(
            text.contains("Not yet synced: NODE-B 4 record(s) at its last push") && !text.contains("SMALL"), "\(text)")
        #expect(try world.central(["report", "sales", "--by", "week"]).status == 2)
    }

    @Test func everyCSVColumnIsNamedOnceAndEveryRowNamesItsEventAndGroup() throws {
        let world = try SyncWorld()
        let a = try world.makeNode("NODE-A")
        #expect(try world.syncOnce(a).status == 0)
        try a.sell("BIG", "FLOOR", .quantity(2))
        try a.sell("SMALL", "GA")
        #expect(try world.syncOnce(a).status == 0)
        for grouping in [nil, "event", "node", "category", "day"] {
            let arguments = ["report", "sales", "--csv"] + (grouping.map { ["--by", $0] } ?? [])
            let result = try world.central(arguments)
            #expect(result.status == 0, "\(arguments): \(result.stderr)")
            let group = grouping.flatMap { $0 == "event" ? nil : $0 }
            let rows = try StrictCSV.rows(result.stdout, filled: ["event"] + (group.map { [$0] } ?? []) + ["currency"])
            #expect(rows.map { $0["event"] } == ["BIG", "SMALL"], "\(arguments): \(result.stdout)")
            #expect(rows.map { $0["tickets"] } == ["2", "1"], "\(arguments)")
        }
    }
}
