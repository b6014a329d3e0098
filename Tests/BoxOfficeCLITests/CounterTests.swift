import Foundation
import TestSupport
import Testing

/// A day at the counter: drawers opened and closed, the shift's and the day's reports.
@Suite struct CounterTests {
    @Test func aShiftAndADayAddUpFromFloatToCount() throws {
        let node = try CLINode()
        #expect(try node.cashier(["drawer", "close", "--counted", "0"]).status == 6)
        #expect(try node.cashier(["drawer", "open", "--float", "10000"]).status == 0)
        #expect(try node.cashier(["drawer", "open", "--float", "10000"]).status == 1, "one open drawer per cashier")
        for _ in 0..<2 {
            #expect(
                try node.cashier([
                    "sell", "SHOW", "--category", "GA", "--qty", "2", "--payment", "cash", "--tendered", "10000",
                ]).status == 0)
        }
        #expect(
            try node.cashier([
                "sell", "SHOW", "--category", "GA", "--qty", "1", "--payment", "card", "--reference", "T-1",
            ]).status == 0)
        try node.expectSuccess(["drawer", "open", "--float", "5000"])
        let comp = try node.json(["sell", "SHOW", "--category", "GA", "--qty", "1", "--payment", "comp"])
        _ = comp
        let refunded = try node.json(["sell", "SHOW", "--category", "GA", "--qty", "2", "--payment", "cash"])
        let orderID = try #require(refunded["order_id"] as? String)
        try node.expectSuccess(["refund", orderID, "--reason", "wrong night"])

        let shift = try node.cashier(["report", "shift", "--json"])
        let document = try #require(try JSONSerialization.jsonObject(with: Data(shift.stdout.utf8)) as? [String: Any])
        let sales = try #require(document["sales"] as? [[String: Any]])
        #expect(sales.map { $0["method"] as? String } == ["card", "cash"])
        #expect((sales[1]["amount"] as? [String: Any])?["minor"] as? Int == 10_000 && sales[1]["tickets"] as? Int == 4)
        #expect((document["refunds"] as? [Any])?.isEmpty == true, "the refund was the supervisor's, in their drawer")

        let closed = try node.cashier(["drawer", "close", "--counted", "19500"])
        #expect(
            closed.status == 0 && closed.stdout.contains("Expected:     200.00 EUR")
                && closed.stdout.contains("Short:        -5.00 EUR"), "\(closed.stdout)")
        try node.expectSuccess(["drawer", "close", "--counted", "5000"])

        #expect(try node.cashier(["report", "day"]).status == 5, "the day's report is for supervisors")
        let day = try node.expectSuccess(["report", "day", "--csv"]).stdout
        let rows = day.split(separator: "\r\n").map {
            $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        }
        #expect(rows.first?.first == "section" && day.hasSuffix("\r\n"))
        #expect(rows.contains(["sale", "cash", "3", "6", "15000", "", "", "", "EUR"]), "\(day)")
        #expect(rows.contains(["sale", "comp", "1", "1", "0", "", "", "", "EUR"]))
        #expect(rows.contains(["refund", "cash", "1", "2", "5000", "", "", "", "EUR"]))
        #expect(rows.contains(["net", "", "", "6", "12500", "", "", "", "EUR"]), "10 sold − 2 refunded… \(day)")
        #expect(rows.filter { $0.first == "drawer" }.map { $0.last == "EUR" ? $0[7] : "?" }.sorted() == ["-500", "0"])
        #expect(try node.run(["report", "day", "--csv", "--json"]).status == 2)
        #expect(try node.run(["report", "day", "--date", "2026-13-01"]).status == 2)
    }

    @Test func everyCSVReportReadsStrictlyWithEveryRowsSectionAndCurrency() throws {
        let node = try CLINode()
        try node.expectSuccess(["drawer", "open", "--float", "10000"])
        try node.expectSuccess(["sell", "SHOW", "--category", "GA", "--qty", "2", "--payment", "cash"])
        let refunded = try node.json(["sell", "SHOW", "--category", "GA", "--qty", "1", "--payment", "cash"])
        try node.expectSuccess(["refund", try #require(refunded["order_id"] as? String), "--reason", "wrong night"])
        try node.expectSuccess(["drawer", "close", "--counted", "20000"])
        for report in [["report", "shift", "--csv"], ["report", "day", "--csv"]] {
            let rows = try StrictCSV.rows(node.expectSuccess(report).stdout, filled: ["section", "currency"])
            #expect(rows.map { $0["section"] } == ["sale", "refund", "net", "drawer"], "\(report): \(rows)")
        }
    }
}
