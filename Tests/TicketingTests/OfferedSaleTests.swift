import EdgeCrypto
import Foundation
import SyncWire
import TestSupport
import Testing

@testable import EdgeStore
@testable import Ticketing

/// A sale asked for while another connection writes is offered to it: that connection sells it
/// in its own transaction and answers with the receipt, or with the refusal.
@Suite struct OfferedSaleTests {
    /// Sells `request` as `actor` through a second connection while `h.node` holds the writer's
    /// turn for a sale of its own (the other sale offered meanwhile); its receipt or error, which
    /// the first connection gave: it ran the offered sale once, and answered with the refusal
    /// when it failed.
    private func sellWhileAnotherWrites(_ h: NodeHarness, _ request: SaleRequest, by actor: Operator) throws
        -> Result<Receipt, any Error>
    {
        let other = NodeBox(try VenueNode.open(path: h.path, clock: h.clock))
        let queue = try #require(WriterTurnstile(databasePath: h.path))
        let outcome = Outcome()
        let done = DispatchSemaphore(value: 0)
        let clock = PausingClock(h.clock)
        let first = try VenueNode.open(path: h.path, clock: clock)
        let offered = try #require(first.database.offeredWrites)
        let ran = OfferedRuns()
        first.database.offeredWrites = OfferedWrites(
            run: {
                ran.runs += 1
                return try offered.run($0)
            },
            refusal: {
                let refusal = offered.refusal($0)
                if refusal != nil { ran.refusals += 1 }
                return refusal
            })
        clock.node = first
        clock.inTransaction = {
            // Inside the first sale's turn: the second asks now, waits in line, offers its sale.
            Thread {
                outcome.result = Result { try other.node.sales.sell(request, by: actor) }
                done.signal()
            }.start()
            // The first sale goes on once the second's is offered: its turn then sells both.
            let posted = waitUntil(timeout: 30, every: 0.001) {
                OfferedWrite(ticket: queue.tickets.serving &+ 1, in: queue).state == OfferedWrite.offered
            }
            #expect(posted != nil, "the second sale was never offered")
        }
        _ = try first.sales.sell(
            SaleRequest(
                eventID: "SHOW", categoryCode: "GA", selection: .quantity(1), payment: PaymentRequest(method: .cash)),
            by: h.cashier)
        done.wait()
        let refused = if case .failure = outcome.result { 1 } else { 0 }
        #expect(
            ran.runs == 1 && ran.refusals == refused, "the first connection ran \(ran.runs), refused \(ran.refusals)")
        return outcome.result
    }

    @Test func theConnectionWhoseTurnItIsSellsTheOfferedSaleAndAnswersWithItsReceipt() throws {
        let h = try NodeHarness()
        let request = SaleRequest(
            eventID: "SHOW", categoryCode: "GA", selection: .quantity(2),
            payment: PaymentRequest(method: .cash, tenderedMinor: 10_000),
            customer: CustomerDetails(email: "Ann@Example.org", name: "Ann"))
        let receipt = try sellWhileAnotherWrites(h, request, by: h.cashier).get()
        #expect(receipt.tickets.count == 2 && !receipt.replayed)
        #expect(receipt.customerEmail == "ann@example.org")
        #expect(try Receipt.load(orderID: receipt.orderID, replayed: false, from: h.node.database) == receipt)
        // Sold by the other connection, for the cashier who asked.
        #expect(
            try h.count(
                "SELECT count(*) FROM orders o JOIN staff s ON s.id = o.created_by WHERE o.id = ? AND s.name = 'cal'",
                [receipt.orderID]) == 1)
        #expect(try h.count("SELECT sold FROM allocation WHERE event_id = 'SHOW' AND category_code = 'GA'") == 2 + 1)
        #expect(try h.inventoryViolations().isEmpty)
        // Its tickets carry the codes the offering connection signed before its turn.
        #expect(receipt.tickets.allSatisfy { $0.signedCode?.count == TicketCode.signedCharacterCount })
    }

    /// An offer carries its tickets' signed codes, made before the turn; the sale in the turn
    /// uses them rather than signing there, and signs any it lacks.
    @Test func anOfferCarriesItsSignedCodesAndTheSaleUsesThem() throws {
        let h = try NodeHarness()
        let signer = try h.node.signingKeys.currentSigner()
        let presigned = (0..<2).map { _ in signer.sign(serial: h.node.ids.ticketSerial(), eventID: "SHOW") }
        let sale = OfferedSale(
            request: SaleRequest(
                eventID: "SHOW", categoryCode: "GA", selection: .quantity(3), payment: PaymentRequest(method: .cash)),
            customer: nil, key: "key_offer-with-codes", keyGiven: false, fingerprint: "f", actor: h.cashier,
            presigned: presigned)
        #expect(try OfferedSale(decoding: sale.encoded) == sale)
        let receipt = try h.node.database.write { try h.node.sales.sell(sale, recheck: false) }
        let codes = Set(receipt.tickets.compactMap(\.signedCode))
        #expect(codes.count == 3 && codes.isSuperset(of: presigned.map(\.text)))
    }

    @Test func anOfferedSaleRefusedThrowsTheRefusalInTheProcessThatAsked() throws {
        let h = try NodeHarness()
        for _ in 0..<9 { _ = try h.sell(selection: .quantity(10)) }
        _ = try h.sell(selection: .quantity(4))  // and the sale in whose turn it is offered, 1
        let request = SaleRequest(
            eventID: "SHOW", categoryCode: "GA", selection: .quantity(6), payment: PaymentRequest(method: .cash))
        #expect(throws: TicketingError.soldOut("sold out: 5 left in GA at this box office, 6 asked")) {
            try sellWhileAnotherWrites(h, request, by: h.cashier).get()
        }
        #expect(try h.count("SELECT sold FROM allocation WHERE event_id = 'SHOW' AND category_code = 'GA'") == 95)
        #expect(try h.inventoryViolations().isEmpty)
    }

    /// A process sold an offered sale and died before answering: the process that offered it
    /// sells it itself, told to recheck, and finds the order the other committed (its key, made
    /// before the offer, went with it) instead of selling it twice.
    @Test func aSaleRecheckedAfterItsSellerDiedIsFoundNotSoldAgain() throws {
        let h = try NodeHarness()
        let sale = OfferedSale(
            request: SaleRequest(
                eventID: "SHOW", categoryCode: "GA", selection: .quantity(2), payment: PaymentRequest(method: .cash)),
            customer: nil, key: h.node.ids.make(.idempotencyKey), keyGiven: false,
            fingerprint: Sales.fingerprint(
                SaleRequest(
                    eventID: "SHOW", categoryCode: "GA", selection: .quantity(2), payment: PaymentRequest(method: .cash)
                ),
                customer: nil), actor: h.cashier)
        let placed = try OfferedSale.receipt(
            from: try h.node.database.write { try h.node.sales.sellOffered(sale.encoded) })
        let rechecked = try h.node.database.write { try h.node.sales.sell(sale, recheck: true) }
        #expect(rechecked == placed && !rechecked.replayed)
        #expect(try h.count("SELECT count(*) FROM orders") == 1)
        #expect(try h.count("SELECT sold FROM allocation WHERE event_id = 'SHOW' AND category_code = 'GA'") == 2)
    }

    /// The sales a turn sells one after another start from what the sale before left of the
    /// inventory; one undone in between (its cash short of the total, refused after its tickets
    /// were taken) sends the next to read it again: the counters end exact.
    @Test func salesSoldInOneTurnKeepTheCountersExact() throws {
        let h = try NodeHarness()
        func offered(_ quantity: Int, tendered: Int64? = nil) -> [UInt8] {
            OfferedSale(
                request: SaleRequest(
                    eventID: "SHOW", categoryCode: "GA", selection: .quantity(quantity),
                    payment: PaymentRequest(method: .cash, tenderedMinor: tendered)),
                customer: nil, key: h.node.ids.make(.idempotencyKey), keyGiven: false, fingerprint: "f\(quantity)",
                actor: h.cashier
            ).encoded
        }
        let allocation = "SELECT sold FROM allocation WHERE event_id = 'SHOW' AND category_code = 'GA'"
        let event = "SELECT sold FROM event WHERE id = 'SHOW'"
        let (allocationBefore, eventBefore) = (try h.count(allocation), try h.count(event))
        try h.node.database.write {
            _ = try h.node.sales.sellOffered(offered(2))
            #expect(throws: TicketingError.self) {
                try h.node.database.savepoint { _ = try h.node.sales.sellOffered(offered(1, tendered: 1)) }
            }
            _ = try h.node.sales.sellOffered(offered(3))
            _ = try h.node.sales.sellOffered(offered(1))
        }
        #expect(try h.count(allocation) == allocationBefore + 6)
        #expect(try h.count(event) == eventBefore + 6)
        #expect(try h.count("SELECT count(*) FROM ticket") == 6)
    }

    @Test func anOfferedSaleAndItsAnswersReadBackAsWritten() throws {
        let sale = OfferedSale(
            request: SaleRequest(
                eventID: "SHOW", categoryCode: "STALLS", selection: .seats(["STALLS-A-1", "STALLS-A-2"]),
                payment: PaymentRequest(method: .card, tenderedMinor: nil, reference: "T-1", amountMinor: 9000),
                customer: CustomerDetails(email: "ann@example.org", name: nil, phone: "+31 20"),
                idempotencyKey: "key-12345"),
            customer: CustomerDetails(email: "ann@example.org", name: nil, phone: "+31 20"), key: "key-12345",
            keyGiven: true, fingerprint: "ab12",
            actor: Operator(id: "S1", name: "cal", role: .cashier, sessionHash: "h"))
        #expect(try OfferedSale(decoding: sale.encoded) == sale)
        #expect(throws: (any Error).self) { try OfferedSale(decoding: Array(sale.encoded.dropLast())) }
        #expect(throws: (any Error).self) { try OfferedSale(decoding: sale.encoded + [0]) }
        #expect(throws: (any Error).self) { try OfferedSale(decoding: [2] + sale.encoded.dropFirst()) }
        // Every optional absent, the other selection, signed codes carried.
        let key = Ed25519PrivateKey.generate()
        var bare = sale
        bare.request = SaleRequest(
            eventID: "SHOW", categoryCode: "GA", selection: .quantity(3), payment: PaymentRequest(method: .cash))
        (bare.customer, bare.keyGiven) = (nil, false)
        bare.actor = Operator(id: "S2", name: "sue", role: .supervisor)
        bare.presigned = (0..<3).map { _ in
            SignedTicketCode(signing: SecureRandom.bytes(10), eventID: "SHOW", with: key)
        }
        #expect(try OfferedSale(decoding: bare.encoded) == bare)
        // Every prefix of an offer is refused, never read as another offer.
        for length in 0..<bare.encoded.count {
            #expect(throws: (any Error).self) { try OfferedSale(decoding: Array(bare.encoded.prefix(length))) }
        }

        let h = try NodeHarness()
        let receipt = try h.sell(
            selection: .quantity(2), payment: PaymentRequest(method: .cash, tenderedMinor: 10_000),
            customer: CustomerDetails(email: "ann@example.org"))
        #expect(try OfferedSale.receipt(from: OfferedSale.answer(receipt)) == receipt)
        for refusal in [
            TicketingError.soldOut("none left"), .rejected(code: "event_not_on_sale", message: "closed"),
            .maintenance("back at 6"), .conflict("key reused"), .invalidInput("bad"), .notFound("no such"),
            .notLoggedIn("log in"), .notPermitted("supervisors only"),
        ] {
            #expect(throws: refusal) { try OfferedSale.receipt(from: OfferedSale.answer(refusal: refusal)) }
        }
    }
}

private final class NodeBox: @unchecked Sendable {  // used by the one thread it is handed to
    let node: VenueNode
    init(_ node: VenueNode) { self.node = node }
}

private final class Outcome: @unchecked Sendable {  // set before the reader's semaphore is signalled
    var result: Result<Receipt, any Error> = .failure(CancellationError())
}

/// What the first connection did with the writes offered to it.
private final class OfferedRuns: @unchecked Sendable {  // counted and read on the selling thread
    var runs = 0
    var refusals = 0
}

/// A clock that runs `inTransaction` once, the first time it is read inside a transaction of
/// `node`'s connection.
private final class PausingClock: WallClock, @unchecked Sendable {  // used by the selling thread
    let base: ManualWallClock
    weak var node: VenueNode?
    var inTransaction: (() -> Void)?

    init(_ base: ManualWallClock) { self.base = base }

    func now() -> Timestamp {
        if let node, node.database.isInTransaction, let pause = inTransaction {
            inTransaction = nil
            pause()
        }
        return base.now()
    }
}
