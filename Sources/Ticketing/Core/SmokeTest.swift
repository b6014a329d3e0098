import EdgeStore
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
        var made = ScratchRows(eventID: scratch)
        try database.rehearse {
            let marks = try ScratchRows.marks(in: database)
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
            // Before the disk step, whose failure leaves the rehearsal unreadable; a rehearsal a
            // failure left so is looked for by its event and order alone.
            made =
                (try? ScratchRows(eventID: scratch, orderID: orderID, since: marks, in: database))
                ?? ScratchRows(eventID: scratch, orderID: orderID)
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
        let left = try made.left(in: database)
        steps.append(
            left.isEmpty
                ? SmokeStep(
                    name: "nothing kept", outcome: .pass,
                    detail: "rolled back: no event, order, outbox record or email left")
                : SmokeStep(
                    name: "nothing kept", outcome: .fail,
                    detail: "the rehearsal left \(scratch)'s rows behind in \(left.joined(separator: ", "))"))
        return SmokeReport(steps: steps)
    }

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

/// The rows a smoke test wrote, found inside its rehearsal by its scratch event and order, and
/// the audit and outbox rows made after it began (it held the write lock: they are its own).
/// Other writers may add rows of their own after the rollback; only these must be gone.
private struct ScratchRows {
    let eventID: String
    var orderID = ""
    var audits: [Row] = []
    var outbox: [Row] = []

    /// Where the audit log and the outbox stand as the rehearsal begins.
    static func marks(in db: Database) throws -> (audit: Int64, outbox: Int64) {
        (
            try db.scalar("SELECT coalesce(max(id), 0) FROM audit_log") ?? 0,
            try db.scalar("SELECT coalesce(max(seq), 0) FROM sync_outbox") ?? 0
        )
    }

    init(eventID: String, orderID: String = "") {
        self.eventID = eventID
        self.orderID = orderID
    }

    /// Inside the rehearsal, once its steps ran.
    init(eventID: String, orderID: String, since marks: (audit: Int64, outbox: Int64), in db: Database) throws {
        self.eventID = eventID
        self.orderID = orderID
        audits = try db.rows(
            "SELECT at, operator, action, entity, entity_id, detail FROM audit_log WHERE id > ?", [marks.audit])
        outbox = try db.rows(
            "SELECT record_type, entity_id, payload, created_at FROM sync_outbox WHERE seq > ?", [marks.outbox])
    }

    private static let byEvent = [
        ("event", "id"), ("venue", "id"), ("price_category", "event_id"), ("allocation", "event_id"),
        ("hold", "event_id"), ("orders", "event_id"), ("ticket", "event_id"), ("door_admission", "event_id"),
    ]
    private static let byOrder = ["payment", "refund", "notification"]

    /// The tables that still hold any of these rows, after the rollback.
    func left(in db: Database) throws -> [String] {
        var tables = [String]()
        for (table, column) in Self.byEvent
        where try db.scalar("SELECT 1 FROM \(table) WHERE \(column) = ? LIMIT 1", [eventID], as: Int.self) != nil {
            tables.append(table)
        }
        for table in Self.byOrder
        where try db.scalar("SELECT 1 FROM \(table) WHERE order_id = ? LIMIT 1", [orderID], as: Int.self) != nil {
            tables.append(table)
        }
        if try audits.contains(where: { row in
            try db.scalar(
                """
                SELECT 1 FROM audit_log
                WHERE at = ? AND operator = ? AND action = ? AND entity = ? AND entity_id = ? AND detail = ?
                """, row.values.map { $0 as any SQLValueConvertible }, as: Int.self) != nil
        }) {
            tables.append("audit_log")
        }
        if try outbox.contains(where: { row in
            try db.scalar(
                "SELECT 1 FROM sync_outbox WHERE record_type = ? AND entity_id = ? AND payload = ? AND created_at = ?",
                row.values.map { $0 as any SQLValueConvertible }, as: Int.self) != nil
        }) {
            tables.append("sync_outbox")
        }
        return tables
    }
}
