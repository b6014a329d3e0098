import Mail
import SyncWire

/// One step of a smoke test: passed, failed with the error, or skipped after an earlier failure.
public struct SmokeStep: Sendable, Codable, Equatable {
    public enum Outcome: String, Sendable, Codable { case pass, fail, skip }
    public let name: String
    public let outcome: Outcome
    public let detail: String
}

/// What `boxoffice smoke` found.
public struct SmokeReport: Sendable, Codable, Equatable {
    public let steps: [SmokeStep]
    /// True when every step passed.
    public var passed: Bool { steps.allSatisfy { $0.outcome == .pass } }
}

extension VenueNode {
    /// Runs the sale path end to end on a scratch event — event, hold, sale, notification,
    /// refund, check-in — inside one rehearsal of the database (``Database/rehearse(_:)``), so
    /// every write is checked by the real code and schema and then rolled back: nothing reaches
    /// sellable inventory, sales figures, the outbox (so central never sees it) or reconciliation.
    /// The rehearsal's pages are written to the disk and flushed before the rollback, so a full
    /// or failing disk fails it as it fails a sale. Then `mail`, the transport the email worker
    /// delivers through, is checked as far as it goes without sending (``MailTransport/check(sender:timeout:)``,
    /// `mailTimeout` seconds a step: a relay that does not answer fails it). A last step checks
    /// that nothing was kept. Works in maintenance, before traffic opens.
    public func smokeTest(by actor: Operator, mail: (any MailTransport)? = nil, mailTimeout: Int = 10) throws
        -> SmokeReport
    {
        try actor.require(.supervisor, to: "smoke tests")
        let before = try SmokeFootprint(self)
        var steps = [SmokeStep]()
        func step(_ name: String, _ body: () throws -> String) {
            guard steps.allSatisfy({ $0.outcome == .pass }) else {
                steps.append(SmokeStep(name: name, outcome: .skip, detail: "skipped after a failure"))
                return
            }
            do {
                steps.append(SmokeStep(name: name, outcome: .pass, detail: try body()))
            } catch {
                steps.append(SmokeStep(name: name, outcome: .fail, detail: "\(error)"))
            }
        }
        let scratch = "SMOKE-" + String(ids.make(.hold).suffix(8)).uppercased()
        var sender: MailAddress?
        try database.rehearse {
            var holdID = ""
            var orderID = ""
            var codes = [String]()
            step("event") {
                _ = try ReferenceImporter(node: self).apply(try scratchCatalog(scratch), actor: actor.name)
                let available = try inventory.availability(eventID: scratch).categories.first?.available ?? 0
                guard available == 4 else {
                    throw TicketingError.rejected(code: "smoke", message: "\(available) available, not 4")
                }
                return "scratch event \(scratch) with 4 GA tickets allocated here"
            }
            step("hold") {
                let hold = try inventory.hold(
                    HoldRequest(eventID: scratch, categoryCode: "GA", selection: .quantity(2)), by: actor)
                holdID = hold.holdID
                return "held 2 tickets (\(hold.holdID))"
            }
            step("sale") {
                let receipt = try sales.confirm(
                    holdID: holdID, payment: PaymentRequest(method: .cash, tenderedMinor: 1000),
                    customer: CustomerDetails(email: "smoke-test@example.invalid"), idempotencyKey: nil, by: actor)
                orderID = receipt.orderID
                codes = receipt.tickets.map(\.code)
                return
                    "order \(receipt.orderID): 2 tickets, \(receipt.total), change \(receipt.payment.change?.description ?? "none")"
            }
            step("notification") {
                let message = try notifications.renderQueued(orderID: orderID)
                sender = message.from
                guard message.rendered().contains("\r\nSubject: ") else {
                    throw TicketingError.rejected(code: "smoke", message: "the email has no subject line")
                }
                return "order confirmation to \(message.to) renders (\(message.subject))"
            }
            step("refund") {
                let refund = try refunds.refund(
                    orderID: orderID, ticketCodes: [codes[0]], reason: "smoke test", by: actor)
                guard refund.status == .completed else {
                    throw TicketingError.rejected(code: "smoke", message: "refund is \(refund.status)")
                }
                return "ticket \(codes[0]) refunded, \(refund.amount) paid out"
            }
            step("check-in") {
                _ = try door.checkIn(code: codes[1], eventID: scratch, by: actor)
                do {
                    _ = try door.checkIn(code: codes[1], eventID: scratch, by: actor)
                    throw TicketingError.rejected(code: "smoke", message: "a second check-in was let in")
                } catch TicketingError.rejected(code: "already_checked_in", _) {}
                return "ticket \(codes[1]) let in once, refused the second time"
            }
            step("disk") {
                try database.writeRehearsalToDisk()
                return "the rehearsal's pages written to \(database.path)-wal and flushed, to be discarded"
            }
        }
        step("mail") {
            guard let mail else { return "no mail transport set (MAIL_TRANSPORT): emails stay queued" }
            guard let sender else { throw TicketingError.rejected(code: "smoke", message: "no sender address") }
            do {
                return "\(mail.description): " + (try mail.check(sender: sender, timeout: mailTimeout))
            } catch let error as MailError {
                throw TicketingError.rejected(code: "smoke", message: "\(mail.description): \(error.message)")
            }
        }
        let after = try SmokeFootprint(self)
        let kept = try events().contains { $0.id == scratch }
        steps.append(
            kept || after != before
                ? SmokeStep(
                    name: "nothing kept", outcome: .fail, detail: "the rehearsal left \(scratch) or records behind")
                : SmokeStep(
                    name: "nothing kept", outcome: .pass,
                    detail: "rolled back: no event, order, outbox record or email left"))
        return SmokeReport(steps: steps)
    }

    private func events() throws -> [EventSummary] { try catalog.events() }

    private func scratchCatalog(_ id: String) throws -> ReferenceData {
        let starts = Timestamp(milliseconds: clock.now().milliseconds + 30 * 86_400_000)
        let nodeID = try settings().nodeID
        return try JSONText.decode(
            ReferenceData.self,
            from: """
                {"format": "venue-reference/1",
                 "venues": [{"id": "\(id)", "name": "Smoke test", "timezone": "UTC", "sections": []}],
                 "events": [{"id": "\(id)", "venue": "\(id)", "name": "Smoke test", "starts_at": "\(starts)",
                             "status": "on_sale",
                             "categories": [{"code": "GA", "name": "Smoke", "kind": "ga", "price_minor": 500, "capacity": 4}]}],
                 "allocations": [{"node": "\(nodeID)", "event": "\(id)", "category": "GA", "quota": 4}],
                 "staff": []}
                """)
    }
}

/// What a smoke test must leave as it found: counts of everything it writes.
private struct SmokeFootprint: Equatable {
    let counts: [Int]

    init(_ node: VenueNode) throws {
        counts = try [
            "event", "orders", "ticket", "payment", "refund", "notification", "hold", "audit_log", "sync_outbox",
        ]
        .map { try node.database.scalar("SELECT count(*) FROM \($0)") ?? 0 }
    }
}
