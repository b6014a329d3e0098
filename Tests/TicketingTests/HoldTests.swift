import TestSupport
import Testing

@testable import Ticketing

@Suite struct HoldTests {
    @Test func aHoldKeepsInventoryAndExpiresWithoutAnyoneCallingRelease() throws {
        let h = try NodeHarness()
        let hold = try h.node.inventory.hold(
            HoldRequest(eventID: "SHOW", categoryCode: "MAIN", selection: .quantity(2), ttlSeconds: 60),
            by: h.cashier)
        #expect(hold.status == .active && hold.seats.count == 2)
        var main = try #require(
            try h.node.inventory.availability(eventID: "SHOW").categories.first { $0.code == "MAIN" })
        #expect(main.held == 2 && main.available == 48)
        h.clock.advance(seconds: 61)
        main = try #require(try h.node.inventory.availability(eventID: "SHOW").categories.first { $0.code == "MAIN" })
        #expect(main.held == 0 && main.available == 50)
        #expect(try h.node.inventory.holdReceipt(hold.holdID).status == .expired)
        #expect(try h.count("SELECT count(*) FROM event_seat WHERE status = 'held'") == 0)
        #expect(try h.inventoryViolations().isEmpty)
    }

    /// A hold lives its time to live on the boot clock: a step of the wall clock back an hour
    /// does not keep it an hour longer, nor does a step forward end it early.
    @Test func aHoldLivesItsTimeWhateverTheWallClockSteps() throws {
        let h = try NodeHarness()
        func held() throws -> Int {
            try #require(try h.node.inventory.availability(eventID: "SHOW").categories.first { $0.code == "GA" }).held
        }
        let back = try h.node.inventory.hold(
            HoldRequest(eventID: "SHOW", categoryCode: "GA", selection: .quantity(2), ttlSeconds: 60), by: h.cashier)
        h.clock.step(seconds: -3600)
        h.clock.advance(seconds: 59)
        #expect(try held() == 2)
        h.clock.advance(seconds: 1)
        #expect(try held() == 0, "a 1-minute hold outlived its minute by the step back")
        #expect(try h.node.inventory.holdReceipt(back.holdID).status == .expired)

        let forward = try h.node.inventory.hold(
            HoldRequest(eventID: "SHOW", categoryCode: "GA", selection: .quantity(3), ttlSeconds: 60), by: h.cashier)
        h.clock.step(seconds: 7200)
        #expect(try held() == 3, "the step forward ended the hold early")
        _ = try h.node.sales.confirm(
            holdID: forward.holdID, payment: PaymentRequest(method: .cash), customer: nil, idempotencyKey: nil,
            by: h.cashier)
        #expect(try h.inventoryViolations().isEmpty)
    }

    /// After a restart the boot clock starts again and says nothing of a hold made before it: the
    /// wall clock decides, as it does for a hold made before the boot clock was recorded.
    @Test func afterARestartTheWallClockDecidesAHoldsEnd() throws {
        let h = try NodeHarness()
        let hold = try h.node.inventory.hold(
            HoldRequest(eventID: "SHOW", categoryCode: "GA", selection: .quantity(2), ttlSeconds: 60), by: h.cashier)
        let older = try h.node.inventory.hold(
            HoldRequest(eventID: "SHOW", categoryCode: "GA", selection: .quantity(3), ttlSeconds: 60), by: h.cashier)
        try h.node.database.execute(
            "UPDATE hold SET expires_boot_id = NULL, expires_boot_ms = NULL WHERE id = ?", [older.holdID])
        func held() throws -> Int? {
            try h.node.inventory.availability(eventID: "SHOW").categories.first { $0.code == "GA" }?.held
        }
        h.clock.restart()
        h.clock.step(seconds: 59)
        #expect(try held() == 5)
        h.clock.step(seconds: 1)
        #expect(try held() == 0)
        #expect(try h.node.inventory.holdReceipt(hold.holdID).status == .expired)
        #expect(try h.node.inventory.holdReceipt(older.holdID).status == .expired)
        #expect(try h.inventoryViolations().isEmpty)
    }

    @Test func aSaleSweepsExpiredHoldsSoTheirSeatsSellAgain() throws {
        let h = try NodeHarness()
        _ = try h.node.inventory.hold(
            HoldRequest(eventID: "SHOW", categoryCode: "GA", selection: .quantity(10), ttlSeconds: 5), by: h.cashier)
        for _ in 0..<9 { _ = try h.sell(selection: .quantity(10)) }
        #expect(throws: TicketingError.self) { try h.sell() }
        h.clock.advance(seconds: 5)
        _ = try h.sell(selection: .quantity(10))
        #expect(try h.count("SELECT sold FROM allocation WHERE event_id = 'SHOW' AND category_code = 'GA'") == 100)
        #expect(try h.inventoryViolations().isEmpty)
    }

    @Test func confirmTurnsAHoldIntoOneOrderOnce() throws {
        let h = try NodeHarness()
        let hold = try h.node.inventory.hold(
            HoldRequest(eventID: "SHOW", categoryCode: "MAIN", selection: .seats(["MAIN-B-2", "MAIN-B-3"])),
            by: h.cashier)
        let receipt = try h.node.sales.confirm(
            holdID: hold.holdID, payment: PaymentRequest(method: .cash), customer: nil,
            idempotencyKey: nil, by: h.cashier)
        #expect(receipt.tickets.compactMap(\.seat) == ["MAIN-B-2", "MAIN-B-3"])
        let again = try h.node.sales.confirm(
            holdID: hold.holdID, payment: PaymentRequest(method: .cash), customer: nil,
            idempotencyKey: nil, by: h.cashier)
        #expect(again.orderID == receipt.orderID && again.replayed)
        #expect(try h.count("SELECT count(*) FROM payment") == 1)
        #expect(try h.node.inventory.holdReceipt(hold.holdID).orderID == receipt.orderID)
        #expect(throws: TicketingError.self) { try h.node.inventory.release(holdID: hold.holdID, by: h.cashier) }
        #expect(try h.inventoryViolations().isEmpty)
    }

    @Test func anExpiredHoldCannotBeConfirmed() throws {
        let h = try NodeHarness()
        let hold = try h.node.inventory.hold(
            HoldRequest(eventID: "SHOW", categoryCode: "GA", selection: .quantity(1), ttlSeconds: 10), by: h.cashier)
        h.clock.advance(seconds: 11)
        #expect(
            throws: TicketingError.rejected(
                code: "hold_expired", message: "hold \(hold.holdID) is expired; place a new hold or sell directly")
        ) {
            try h.node.sales.confirm(
                holdID: hold.holdID, payment: PaymentRequest(method: .cash), customer: nil, idempotencyKey: nil,
                by: h.cashier)
        }
        #expect(try h.count("SELECT count(*) FROM orders") == 0)
        #expect(try h.inventoryViolations().isEmpty)
    }

    @Test func releaseGivesInventoryBackAndIsHarmlessTwice() throws {
        let h = try NodeHarness()
        let hold = try h.node.inventory.hold(
            HoldRequest(eventID: "SHOW", categoryCode: "MAIN", selection: .quantity(3)), by: h.cashier)
        #expect(try h.node.inventory.release(holdID: hold.holdID, by: h.cashier).status == .released)
        #expect(try h.node.inventory.release(holdID: hold.holdID, by: h.cashier).status == .released)
        #expect(try h.count("SELECT held FROM allocation WHERE event_id = 'SHOW' AND category_code = 'MAIN'") == 0)
        #expect(try h.inventoryViolations().isEmpty)
    }

    @Test func holdLengthsAreBounded() throws {
        let h = try NodeHarness()
        for ttl: Int64 in [0, 86_401] {
            #expect(throws: TicketingError.self) {
                try h.node.inventory.hold(
                    HoldRequest(eventID: "SHOW", categoryCode: "GA", selection: .quantity(1), ttlSeconds: ttl),
                    by: h.cashier)
            }
        }
    }
}
