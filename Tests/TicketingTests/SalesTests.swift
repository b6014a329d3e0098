import EdgeCrypto
import EdgeStore
import Foundation
import SyncWire
import TestSupport
import Testing

@testable import Ticketing

@Suite struct SalesTests {
    @Test func aGASaleIsOneTransactionOfInventoryOrderPaymentNotificationAndOutbox() throws {
        let h = try NodeHarness()
        let receipt = try h.sell(
            selection: .quantity(3), payment: PaymentRequest(method: .cash, tenderedMinor: 10_000),
            customer: CustomerDetails(email: "Ann@Example.org", name: "Ann"))
        #expect(receipt.tickets.count == 3)
        #expect(receipt.total == Money(minor: 7500, currency: "EUR"))
        #expect(receipt.payment.change == Money(minor: 2500, currency: "EUR"))
        #expect(receipt.customerEmail == "ann@example.org")
        #expect(try h.count("SELECT sold FROM allocation WHERE event_id = 'SHOW' AND category_code = 'GA'") == 3)
        #expect(try h.count("SELECT count(*) FROM payment WHERE order_id = ?", [receipt.orderID]) == 1)
        #expect(
            try h.count(
                "SELECT count(*) FROM notification WHERE order_id = ? AND kind = 'order_confirmed'", [receipt.orderID])
                == 1)
        #expect(
            try h.count(
                "SELECT count(*) FROM sync_outbox WHERE record_type = 'order.placed' AND entity_id = ?",
                [receipt.orderID]) == 1)
        // Who sold it is on the order and in its outbox record, not copied to audit_log.
        #expect(
            try h.count(
                "SELECT count(*) FROM orders o JOIN staff s ON s.id = o.created_by WHERE o.id = ? AND s.name = 'cal'",
                [receipt.orderID]) == 1)
        #expect(try Receipt.load(orderID: receipt.orderID, replayed: false, from: h.node.database) == receipt)
        #expect(try h.inventoryViolations().isEmpty)
    }

    @Test func theOutboxRecordCarriesTheWholeOrder() throws {
        let h = try NodeHarness()
        let receipt = try h.sell(
            "SHOW", "MAIN", selection: .seats(["MAIN-A-2", "MAIN-A-1"]),
            payment: PaymentRequest(method: .card, reference: "T-9"))
        #expect(try Receipt.load(orderID: receipt.orderID, replayed: false, from: h.node.database) == receipt)
        let payload: String = try #require(
            try h.node.database.scalar("SELECT payload FROM sync_outbox WHERE entity_id = ?", [receipt.orderID]))
        let record = try JSONText.decode(OrderPlacedRecord.self, from: payload)
        #expect(record.nodeID == "TEST-1" && record.eventID == "SHOW" && record.categoryCode == "MAIN")
        #expect(Set(record.tickets.map(\.seat)) == ["MAIN-A-1", "MAIN-A-2"])
        #expect(record.totalMinor == 10_000 && record.payment.method == .card && record.payment.reference == "T-9")
    }

    /// The receipt's own JSON (written for the API without `JSONEncoder`) is the encoder's, byte
    /// for byte: GA and seats, cash with change and card with a reference, a customer or none, a
    /// refund and a replay.
    @Test func theReceiptsJSONIsTheEncodersByteForByte() throws {
        let h = try NodeHarness()
        var receipts = [
            try h.sell(payment: PaymentRequest(method: .cash, tenderedMinor: 5000)),
            try h.sell(
                "SHOW", "MAIN", selection: .quantity(2),
                payment: PaymentRequest(method: .card, reference: "T1-0042/a:b"),
                customer: CustomerDetails(email: "jo@example.org", name: "Jo \u{1F3AD}")),
            try h.sell(key: "receipt-json-key-1"),
        ]
        receipts.append(try h.sell(key: "receipt-json-key-1"))
        _ = try h.node.refunds.refund(orderID: receipts[1].orderID, ticketCodes: nil, reason: "test", by: h.supervisor)
        receipts.append(try h.node.orders.details(receipts[1].orderID).order)
        #expect(receipts[3].replayed)
        for receipt in receipts {
            #expect(receipt.jsonText == (try JSONText.encode(receipt)))
        }
    }

    @Test func aRepeatedIdempotencyKeyReturnsTheSameOrderAndChargesOnce() throws {
        let h = try NodeHarness()
        let first = try h.sell(selection: .quantity(2), key: "till-3-sale-0042")
        let again = try h.sell(selection: .quantity(2), key: "till-3-sale-0042")
        #expect(again.orderID == first.orderID && again.replayed && !first.replayed)
        #expect(again.tickets.map(\.code) == first.tickets.map(\.code))
        #expect(try h.count("SELECT count(*) FROM payment") == 1)
        #expect(try h.count("SELECT sold FROM allocation WHERE category_code = 'GA' AND event_id = 'SHOW'") == 2)
        #expect(throws: TicketingError.self) { try h.sell(selection: .quantity(3), key: "till-3-sale-0042") }
    }

    @Test func soldOutIsExactAtTheQuota() throws {
        let h = try NodeHarness()
        for _ in 0..<10 { _ = try h.sell(selection: .quantity(10)) }
        #expect(throws: TicketingError.soldOut("sold out: 0 left in GA at this box office, 1 asked")) { try h.sell() }
        #expect(try h.inventoryViolations().isEmpty)
    }

    @Test func theEventCapacityBoundsTheSumOfItsCategories() throws {
        let h = try NodeHarness()
        for _ in 0..<8 { _ = try h.sell("DUO", "LEFT", selection: .quantity(10)) }
        for _ in 0..<7 { _ = try h.sell("DUO", "RIGHT", selection: .quantity(10)) }
        #expect(throws: TicketingError.self) { try h.sell("DUO", "RIGHT", selection: .quantity(1)) }
        #expect(throws: TicketingError.self) { try h.sell("DUO", "LEFT", selection: .quantity(1)) }
        #expect(try h.count("SELECT sold FROM event WHERE id = 'DUO'") == 150)
        #expect(try h.inventoryViolations().isEmpty)
    }

    @Test func bestAvailablePicksAdjacentSeatsNearTheCentreOfTheBestRow() throws {
        let h = try NodeHarness()
        let first = try h.sell("SHOW", "MAIN", selection: .quantity(4))
        #expect(first.tickets.compactMap(\.seat) == ["MAIN-A-4", "MAIN-A-5", "MAIN-A-6", "MAIN-A-7"])
        let second = try h.sell("SHOW", "MAIN", selection: .quantity(4))
        #expect(second.tickets.compactMap(\.seat) == ["MAIN-B-4", "MAIN-B-5", "MAIN-B-6", "MAIN-B-7"])
        let pair = try h.sell("SHOW", "MAIN", selection: .quantity(3))
        #expect(pair.tickets.compactMap(\.seat) == ["MAIN-A-1", "MAIN-A-2", "MAIN-A-3"])
    }

    /// A seat sold leaves the index of available seats and joins no other: one page of the
    /// seat indexes in the sale's commit, not one for the status it left and one for the status
    /// it took.
    @Test func aSeatedSaleWritesOnePageOfSeatIndexes() throws {
        let h = try NodeHarness()
        for selection in [SeatSelection.quantity(2), .seats(["MAIN-C-5"])] {
            _ = try h.sell("SHOW", "MAIN", selection: selection)
            let trees = try WALCommit.lastTrees(path: h.path, db: h.node.database)
            #expect(trees.filter { $0.hasPrefix("event_seat_") } == ["event_seat_available"], "\(trees)")
        }
    }

    @Test func namedSeatsSellOnceAndOnlyWhenThisNodeOwnsThem() throws {
        let h = try NodeHarness()
        _ = try h.sell("SHOW", "MAIN", selection: .seats(["MAIN-C-5"]))
        #expect(throws: TicketingError.soldOut("seat MAIN-C-5 is already sold")) {
            try h.sell("SHOW", "MAIN", selection: .seats(["MAIN-C-4", "MAIN-C-5"]))
        }
        #expect(
            try h.count("SELECT count(*) FROM event_seat WHERE seat_label = 'MAIN-C-4' AND status = 'available'") == 1)
        #expect(throws: TicketingError.soldOut("seat SIDE-B-1 is not sold at this box office")) {
            try h.sell("SHOW", "SIDE", selection: .seats(["SIDE-B-1"]))
        }
        #expect(throws: TicketingError.notFound("no seat 'MAIN-Z-1' in SHOW MAIN")) {
            try h.sell("SHOW", "MAIN", selection: .seats(["MAIN-Z-1"]))
        }
        #expect(throws: TicketingError.invalidInput("GA is general admission: sell it by quantity, not by seat")) {
            try h.sell("SHOW", "GA", selection: .seats(["MAIN-A-1"]))
        }
    }

    @Test func paymentRules() throws {
        let h = try NodeHarness()
        #expect(throws: TicketingError.notPermitted("comp tickets needs a supervisor or above; cal is a cashier")) {
            try h.sell(payment: PaymentRequest(method: .comp))
        }
        let comp = try h.sell(payment: PaymentRequest(method: .comp), by: h.supervisor)
        #expect(comp.total.minor == 0 && comp.payment.amount.minor == 0)
        #expect(throws: TicketingError.invalidInput("a card payment needs the terminal's reference")) {
            try h.sell(payment: PaymentRequest(method: .card))
        }
        #expect(
            throws: TicketingError.rejected(
                code: "insufficient_tender", message: "tendered 24.99 EUR is less than the total 25.00 EUR")
        ) {
            try h.sell(payment: PaymentRequest(method: .cash, tenderedMinor: 2499))
        }
        #expect(
            throws: TicketingError.rejected(
                code: "amount_mismatch", message: "amount 20.00 EUR does not match the order total 25.00 EUR")
        ) {
            try h.sell(payment: PaymentRequest(method: .card, reference: "x", amountMinor: 2000))
        }
        #expect(throws: TicketingError.self) {
            try h.sell(payment: PaymentRequest(method: .cash, tenderedMinor: 10_000_000))
        }
        #expect(try h.count("SELECT count(*) FROM orders") == 1)
        #expect(try h.inventoryViolations().isEmpty)
    }

    @Test func eventsNotOnSaleDoNotSell() throws {
        let h = try NodeHarness()
        #expect(
            throws: TicketingError.rejected(
                code: "event_not_on_sale", message: "event DRAFT is not on sale (it is draft)")
        ) {
            try h.sell("DRAFT", "GA")
        }
    }

    @Test func aFailedSaleLeavesNoTrace() throws {
        let h = try NodeHarness()
        let before = try ProcessRunner.dump(h.path)
        #expect(throws: TicketingError.self) { try h.sell(payment: PaymentRequest(method: .cash, tenderedMinor: 1)) }
        #expect(throws: TicketingError.self) {
            try h.sell("SHOW", "MAIN", selection: .seats(["MAIN-A-1", "MAIN-A-1"]))
        }
        #expect(throws: TicketingError.self) { try h.sell(customer: CustomerDetails(email: "not-an-email")) }
        #expect(try ProcessRunner.dump(h.path) == before)
    }

    /// The most tickets an order takes is read inside the sale's own transaction: a terminal that
    /// sold a moment before another changed it is held to the new value, and nothing is written.
    @Test func theMostTicketsAnOrderTakesIsTheOneInForceAtTheSale() throws {
        let h = try NodeHarness()
        _ = try h.sell()
        let office = try VenueNode.open(path: h.path, clock: h.clock)
        var settings = try office.settings()
        settings.maxTicketsPerOrder = 2
        try office.database.write { try settings.save(to: office) }
        let before = try ProcessRunner.dump(h.path)
        #expect(throws: TicketingError.invalidInput("quantity must be from 1 to 2, not 3")) {
            try h.sell(selection: .quantity(3))
        }
        #expect(throws: TicketingError.invalidInput("quantity must be at least 1, not 0")) {
            try h.sell(selection: .quantity(0))
        }
        #expect(try ProcessRunner.dump(h.path) == before)
        #expect(try h.sell(selection: .quantity(2)).tickets.count == 2)
    }

    /// Sales read the settings inside their transactions and keep what they read; settings written
    /// in a transaction that rolls back, or in a rehearsal, are not kept.
    @Test func settingsWrittenAndUndoneAreNotKept() throws {
        struct Undo: Error {}
        let h = try NodeHarness()
        let before = try h.node.settings().maxTicketsPerOrder
        #expect(throws: Undo.self) {
            try h.node.database.write {
                var settings = try h.node.settings()
                settings.maxTicketsPerOrder = before + 3
                try settings.save(to: h.node)
                #expect(try h.node.settings().maxTicketsPerOrder == before + 3)
                throw Undo()
            }
        }
        #expect(try h.node.database.write { try h.node.settings() }.maxTicketsPerOrder == before)
        try h.node.database.rehearse {
            try h.node.database.write {
                var settings = try h.node.settings()
                settings.maxTicketsPerOrder = before + 5
                try settings.save(to: h.node)
            }
            #expect(try h.node.database.write { try h.node.settings() }.maxTicketsPerOrder == before + 5)
        }
        #expect(try h.node.database.write { try h.node.settings() }.maxTicketsPerOrder == before)
        #expect(try h.node.settings().maxTicketsPerOrder == before)
    }

    /// A sale's fingerprint, stored with its order and compared when its key comes again, is the
    /// SHA-256 of its fields joined by the unit separator: orders sold by earlier builds replay.
    @Test func theFingerprintIsTheDigestOfTheFieldsJoined() throws {
        let request = SaleRequest(
            eventID: "SHOW", categoryCode: "MAIN", selection: .seats(["MAIN-B-2", "MAIN-A-1"]),
            payment: PaymentRequest(method: .card, reference: "T-9", amountMinor: 9000))
        let customer = CustomerDetails(email: "zoë@example.org", name: "Zoë Ä", phone: "+44 20 7946 0000")
        let fields = [
            "sale/1", "SHOW", "MAIN", "s:MAIN-A-1,MAIN-B-2", "card", "", "T-9", "9000", "zoë@example.org", "Zoë Ä",
            "+44 20 7946 0000",
        ]
        #expect(
            Sales.fingerprint(request, customer: customer)
                == Hex.encode(SHA256.hash(Array(fields.joined(separator: "\u{1F}").utf8))))
    }

    /// Connections on threads stand in for terminals: a snapshot read before the write lock goes
    /// stale, the compare-and-set misses, and the authoritative retry decides.
    @Test func concurrentTerminalsNeverOversell() throws {
        let h = try NodeHarness()
        let outcomes = Failures()
        let path = h.path
        let clock = h.clock
        let cashier = h.cashier
        DispatchQueue.concurrentPerform(iterations: 6) { _ in
            do {
                let node = try VenueNode.open(path: path, clock: clock)
                for _ in 0..<30 {
                    do {
                        _ = try node.sales.sell(
                            SaleRequest(
                                eventID: "DUO", categoryCode: Bool.random() ? "LEFT" : "RIGHT",
                                selection: .quantity(Int.random(in: 1...3)), payment: .init(method: .cash)),
                            by: cashier)
                    } catch TicketingError.soldOut {
                        continue
                    }
                }
            } catch {
                outcomes.record(error)
            }
        }
        #expect(outcomes.errors.isEmpty, "\(outcomes.errors)")
        #expect(try h.count("SELECT sold FROM event WHERE id = 'DUO'") <= 150)
        #expect(try h.inventoryViolations().isEmpty)
    }
}
