import Foundation
import TestSupport
import Testing

/// Many `boxoffice` processes selling at once against one SQLite file.
@Suite(.serialized) struct RaceTests {
    static let processes = 8
    static let attemptsEach = 25

    /// Runs `attempt` from `processes` concurrent workers, `attemptsEach` times each.
    private func race(_ node: CLINode, _ attempt: @escaping @Sendable (Int, Int) throws -> [String]) -> Outcomes {
        let outcomes = Outcomes()
        DispatchQueue.concurrentPerform(iterations: Self.processes) { worker in
            for index in 0..<Self.attemptsEach {
                do {
                    outcomes.add(try node.cashier(attempt(worker, index)))
                } catch {
                    outcomes.add(ProcessResult(status: -1, stdout: "", stderr: "\(error)"))
                }
            }
        }
        return outcomes
    }

    private func expectOnlySalesAndSoldOut(_ outcomes: Outcomes) {
        let unexpected = outcomes.all.filter { $0.status != 0 && $0.status != 3 }
        #expect(unexpected.isEmpty, "unexpected exits: \(unexpected.prefix(3).map { "\($0.status) \($0.stderr)" })")
        let busy = outcomes.all.filter {
            $0.stderr.lowercased().contains("busy") || $0.stderr.lowercased().contains("locked")
        }
        #expect(busy.isEmpty, "SQLITE_BUSY surfaced: \(busy.prefix(3).map(\.stderr))")
    }

    @Test func gaRaceSellsExactlyTheCapacity() throws {
        let node = try CLINode()
        let outcomes = race(node) { _, _ in ["sell", "SHOW", "--category", "GA", "--qty", "1", "--payment", "cash"] }
        expectOnlySalesAndSoldOut(outcomes)
        #expect(outcomes.count(exit: 0) == 100)
        #expect(outcomes.count(exit: 3) == Self.processes * Self.attemptsEach - 100)
        #expect(
            try node.count(
                "SELECT count(*) FROM ticket WHERE event_id = 'SHOW' AND category_code = 'GA' AND status = 'valid'")
                == 100)
        #expect(try node.count("SELECT count(*) FROM payment") == 100)
        #expect(try node.inventoryViolations().isEmpty)
    }

    @Test func seatRaceSellsEachSeatOnce() throws {
        let node = try CLINode()
        let outcomes = race(node) { _, _ in
            let first = Int.random(in: 1...9)
            return [
                "sell", "SHOW", "--category", "MAIN", "--seat", "MAIN-A-\(first)", "MAIN-A-\(first + 1)", "--payment",
                "cash",
            ]
        }
        expectOnlySalesAndSoldOut(outcomes)
        let sold = try node.count("SELECT count(*) FROM ticket WHERE event_id = 'SHOW' AND seat_label LIKE 'MAIN-A-%'")
        let distinct = try node.count(
            "SELECT count(DISTINCT seat_label) FROM ticket WHERE event_id = 'SHOW' AND seat_label LIKE 'MAIN-A-%'")
        #expect(sold == distinct && sold == outcomes.count(exit: 0) * 2 && sold <= 10)
        #expect(try node.inventoryViolations().isEmpty)
    }

    @Test func raceAcrossTwoCategoriesNeverExceedsTheEventCapacity() throws {
        let node = try CLINode()
        let outcomes = race(node) { worker, index in
            [
                "sell", "DUO", "--category", (worker + index) % 2 == 0 ? "LEFT" : "RIGHT", "--qty", "1", "--payment",
                "cash",
            ]
        }
        expectOnlySalesAndSoldOut(outcomes)
        #expect(outcomes.count(exit: 0) == 150)
        #expect(try node.count("SELECT sold FROM event WHERE id = 'DUO'") == 150)
        #expect(try node.count("SELECT count(*) FROM ticket WHERE event_id = 'DUO' AND status = 'valid'") == 150)
        #expect(try node.inventoryViolations().isEmpty)
    }
}
