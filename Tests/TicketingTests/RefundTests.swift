import TestSupport
import Testing

@testable import Ticketing

@Suite struct RefundTests {
    @Test func aFullRefundGivesInventoryAndMoneyBack() throws {
        let h = try NodeHarness()
        let sale = try h.sell(
            "SHOW", "MAIN", selection: .seats(["MAIN-A-1", "MAIN-A-2"]),
            customer: CustomerDetails(email: "ann@example.org"))
        let refund = try h.node.refunds.refund(
            orderID: sale.orderID, ticketCodes: nil, reason: "changed plans", by: h.supervisor)
        #expect(refund.status == .completed && refund.amount.minor == 10_000 && refund.orderStatus == .refunded)
        #expect(
            try h.count(
                "SELECT count(*) FROM event_seat WHERE seat_label IN ('MAIN-A-1', 'MAIN-A-2') AND status = 'available'")
                == 2)
        #expect(try h.count("SELECT refunded_minor FROM payment WHERE order_id = ?", [sale.orderID]) == 10_000)
        #expect(try h.count("SELECT count(*) FROM notification WHERE kind = 'order_refunded'") == 1)
        #expect(try h.count("SELECT count(*) FROM sync_outbox WHERE record_type = 'refund.completed'") == 1)
        #expect(try h.inventoryViolations().isEmpty)
        _ = try h.sell("SHOW", "MAIN", selection: .seats(["MAIN-A-1"]))
    }

    @Test func perTicketRefundsAddUp() throws {
        let h = try NodeHarness()
        let sale = try h.sell(selection: .quantity(3))
        let codes = sale.tickets.map(\.code)
        let first = try h.node.refunds.refund(
            orderID: sale.orderID, ticketCodes: [codes[0]], reason: "one", by: h.supervisor)
        #expect(first.amount.minor == 2500 && first.orderStatus == .partiallyRefunded)
        #expect(
            throws: TicketingError.rejected(
                code: "ticket_not_refundable", message: "ticket \(codes[0]) cannot be refunded: it is refunded")
        ) {
            try h.node.refunds.refund(orderID: sale.orderID, ticketCodes: [codes[0]], reason: "again", by: h.supervisor)
        }
        let rest = try h.node.refunds.refund(orderID: sale.orderID, ticketCodes: nil, reason: "rest", by: h.supervisor)
        #expect(rest.amount.minor == 5000 && rest.orderStatus == .refunded)
        #expect(try h.count("SELECT status = 'refunded' AND refunded_minor = amount_minor FROM payment") == 1)
        #expect(
            throws: TicketingError.rejected(
                code: "nothing_to_refund", message: "order \(sale.orderID) has no valid tickets to refund")
        ) {
            try h.node.refunds.refund(orderID: sale.orderID, ticketCodes: nil, reason: "nothing", by: h.supervisor)
        }
        #expect(try h.inventoryViolations().isEmpty)
    }

    @Test func cashiersCannotRefundAndUsedTicketsAreNotRefunded() throws {
        let h = try NodeHarness()
        let sale = try h.sell(selection: .quantity(2))
        #expect(throws: TicketingError.self) {
            try h.node.refunds.refund(orderID: sale.orderID, ticketCodes: nil, reason: "x", by: h.cashier)
        }
        _ = try h.node.door.checkIn(code: sale.tickets[0].code, eventID: sale.eventID, by: h.cashier)
        let refund = try h.node.refunds.refund(
            orderID: sale.orderID, ticketCodes: nil, reason: "left early", by: h.supervisor)
        #expect(refund.tickets == [sale.tickets[1].code])
        #expect(try h.inventoryViolations().isEmpty)
    }

    @Test func checkInHappensOnceAndOnlyForValidTickets() throws {
        let h = try NodeHarness()
        let sale = try h.sell()
        let code = sale.tickets[0].code
        let lowerCaseWithoutDashes = code.replacingOccurrences(of: "-", with: "").lowercased()
        #expect(
            try h.node.door.checkIn(code: lowerCaseWithoutDashes, eventID: sale.eventID, by: h.cashier).ticketCode
                == code)
        #expect(throws: TicketingError.self) {
            try h.node.door.checkIn(code: code, eventID: sale.eventID, by: h.cashier)
        }
        #expect(
            throws: TicketingError.notFound(
                "no ticket 0000-0000-0000-0000 at this node: a ticket another node sold is checked in here by "
                    + "scanning its QR code, or by this code at the node that sold it")
        ) {
            try h.node.door.checkIn(code: "0000000000000000", by: h.cashier)
        }
        #expect(throws: TicketingError.self) {
            try h.node.door.checkIn(code: "'; DROP TABLE ticket; --", by: h.cashier)
        }
        #expect(try h.count("SELECT count(*) FROM sync_outbox WHERE record_type = 'ticket.checked_in'") == 1)
    }
}

@Suite struct EventLifecycleTests {
    @Test func cancellingStopsSalesQueuesRefundsAndTellsCustomers() throws {
        let h = try NodeHarness()
        let withEmail = try h.sell(selection: .quantity(2), customer: CustomerDetails(email: "a@example.org"))
        _ = try h.sell("SHOW", "MAIN", selection: .quantity(2))
        _ = try h.node.inventory.hold(
            HoldRequest(eventID: "SHOW", categoryCode: "GA", selection: .quantity(4)), by: h.cashier)
        #expect(throws: TicketingError.self) {
            try h.node.catalog.changeStatus("SHOW", to: .cancelled, reason: "storm", by: h.cashier)
        }
        let change = try h.node.catalog.changeStatus("SHOW", to: .cancelled, reason: "storm", by: h.supervisor)
        #expect(change.refundsQueued == 2 && change.holdsReleased == 1 && change.event.status == .cancelled)
        #expect(throws: TicketingError.self) { try h.sell() }
        #expect(try h.count("SELECT count(*) FROM ticket WHERE status = 'void'") == 4)
        #expect(try h.count("SELECT count(*) FROM refund WHERE status = 'pending'") == 2)
        #expect(try h.count("SELECT count(*) FROM notification WHERE kind = 'event_cancelled'") == 1)
        #expect(try h.count("SELECT count(*) FROM sync_outbox WHERE record_type = 'refund.queued'") == 2)
        #expect(try h.count("SELECT count(*) FROM sync_outbox WHERE record_type = 'event.status_changed'") == 1)
        let paid = try h.node.refunds.refund(
            orderID: withEmail.orderID, ticketCodes: nil, reason: "pay out", by: h.supervisor)
        #expect(paid.status == .completed && paid.origin == .eventCancelled && paid.amount.minor == 5000)
        #expect(try h.node.orders.details(withEmail.orderID).order.status == .refunded)
        #expect(try h.inventoryViolations().isEmpty)
    }

    @Test func statusChangesFollowTheLifecycle() throws {
        let h = try NodeHarness()
        #expect(
            try h.node.catalog.changeStatus("DRAFT", to: .onSale, reason: nil, by: h.supervisor).event.status == .onSale
        )
        _ = try h.sell("DRAFT", "GA")
        #expect(
            try h.node.catalog.changeStatus("DRAFT", to: .closed, reason: nil, by: h.supervisor).event.status == .closed
        )
        #expect(throws: TicketingError.self) { try h.sell("DRAFT", "GA") }
        #expect(throws: TicketingError.invalidInput("cancelling an event needs a reason (customers are told it)")) {
            try h.node.catalog.changeStatus("DRAFT", to: .cancelled, reason: nil, by: h.supervisor)
        }
        _ = try h.node.catalog.changeStatus("DRAFT", to: .cancelled, reason: "no band", by: h.supervisor)
        #expect(
            throws: TicketingError.rejected(
                code: "bad_transition", message: "event DRAFT is cancelled; it cannot become on_sale")
        ) {
            try h.node.catalog.changeStatus("DRAFT", to: .onSale, reason: nil, by: h.supervisor)
        }
    }
}
