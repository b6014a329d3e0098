import EdgeStore
import SyncWire

/// A cashier's cash drawer: opened with a float, closed with what was counted. What the drawer
/// should hold is the float plus the cash sales the cashier took minus the cash refunds they paid
/// out while it was open; the difference to the count is over (positive) or short (negative).
public struct DrawerSummary: Sendable, Codable, Equatable {
    public let drawerID: String
    public let cashier: String
    public let openedAt: Timestamp
    public let closedAt: Timestamp?
    public let float: Money
    public let cashSales: Money
    public let cashRefunds: Money
    /// Float + cash sales − cash refunds.
    public let expected: Money
    public let counted: Money?
    /// Counted − expected, once closed.
    public let overShort: Money?
}

/// Opening and closing cash drawers, one open drawer per cashier at a time.
public struct CashDrawers {
    let node: VenueNode
    var db: Database { node.database }

    /// Opens `actor`'s drawer with `floatMinor` in it.
    public func open(floatMinor: Int64, by actor: Operator) throws -> DrawerSummary {
        guard (0...100_000_000).contains(floatMinor) else {
            throw TicketingError.invalidInput("the float must be from 0 to 1,000,000.00, not \(floatMinor) minor units")
        }
        let settings = try node.settings()
        return try db.write {
            if let open = try openDrawer(of: actor) {
                throw TicketingError.rejected(
                    code: "drawer_open", message: "\(actor.name)'s drawer \(open) is open already; close it first")
            }
            let id = node.ids.make(.drawer)
            try db.execute(
                "INSERT INTO drawer (id, staff_id, currency, float_minor, opened_at) VALUES (?, ?, ?, ?, ?)",
                [id, actor.id, settings.currency, floatMinor, node.clock.now().milliseconds])
            try node.audit.record(
                "drawer.opened", by: actor.name, entity: "drawer", id: id, detail: ["float_minor": String(floatMinor)])
            return try summary(id)
        }
    }

    /// Closes `actor`'s open drawer with what they counted in it.
    public func close(countedMinor: Int64, by actor: Operator) throws -> DrawerSummary {
        guard (0...100_000_000).contains(countedMinor) else {
            throw TicketingError.invalidInput(
                "the count must be from 0 to 1,000,000.00, not \(countedMinor) minor units")
        }
        return try db.write {
            guard let id = try openDrawer(of: actor) else {
                throw TicketingError.notFound(
                    "\(actor.name) has no open drawer; open one with 'boxoffice drawer open --float AMOUNT'")
            }
            let expected = try summary(id).expected.minor
            try db.execute(
                "UPDATE drawer SET closed_at = ?, counted_minor = ?, expected_minor = ? WHERE id = ?",
                [node.clock.now().milliseconds, countedMinor, expected, id])
            try node.audit.record(
                "drawer.closed", by: actor.name, entity: "drawer", id: id,
                detail: ["counted_minor": String(countedMinor), "expected_minor": String(expected)])
            return try summary(id)
        }
    }

    /// `actor`'s open drawer, else their last closed one.
    public func current(of actor: Operator) throws -> DrawerSummary {
        guard
            let id: String = try db.scalar(
                "SELECT id FROM drawer WHERE staff_id = ? ORDER BY closed_at IS NULL DESC, opened_at DESC LIMIT 1",
                [actor.id])
        else { throw TicketingError.notFound("\(actor.name) has never opened a drawer") }
        return try summary(id)
    }

    private func openDrawer(of actor: Operator) throws -> String? {
        try db.scalar("SELECT id FROM drawer WHERE staff_id = ? AND closed_at IS NULL", [actor.id])
    }

    /// A drawer with its cash movements: sales by its cashier while it was open, refunds they paid out.
    func summary(_ id: String) throws -> DrawerSummary {
        guard
            let drawer = try db.row(
                """
                SELECT d.*, s.name AS cashier FROM drawer d JOIN staff s ON s.id = d.staff_id WHERE d.id = ?
                """, [id])?.decode(DrawerRow.self)
        else { throw TicketingError.notFound("no drawer \(id)") }
        let until = drawer.closedAt?.milliseconds ?? node.clock.now().milliseconds
        let sales: Int64 =
            try db.scalar(
                """
                SELECT COALESCE(SUM(p.amount_minor), 0) FROM payment p JOIN orders o ON o.id = p.order_id
                WHERE p.method = 'cash' AND o.created_by = ? AND p.created_at >= ? AND p.created_at <= ?
                """, [drawer.staffID, drawer.openedAt.milliseconds, until]) ?? 0
        let refunds: Int64 =
            try db.scalar(
                """
                SELECT COALESCE(SUM(r.amount_minor), 0) FROM refund r JOIN payment p ON p.id = r.payment_id
                WHERE r.status = 'completed' AND p.method = 'cash' AND r.completed_by = ?
                  AND r.completed_at >= ? AND r.completed_at <= ?
                """, [drawer.cashier, drawer.openedAt.milliseconds, until]) ?? 0
        let money = { (minor: Int64) in Money(minor: minor, currency: drawer.currency) }
        let expected = drawer.expectedMinor ?? (drawer.floatMinor + sales - refunds)
        return DrawerSummary(
            drawerID: id, cashier: drawer.cashier, openedAt: drawer.openedAt, closedAt: drawer.closedAt,
            float: money(drawer.floatMinor), cashSales: money(sales), cashRefunds: money(refunds),
            expected: money(expected), counted: drawer.countedMinor.map(money),
            overShort: drawer.countedMinor.map { money($0 - expected) })
    }
}

/// A row of `drawer` with its cashier's name.
private struct DrawerRow: Decodable {
    let staffID: String
    let cashier: String
    let currency: String
    let floatMinor: Int64
    let openedAt: Timestamp
    let closedAt: Timestamp?
    let countedMinor: Int64?
    let expectedMinor: Int64?
}

extension VenueNode {
    /// Cashiers' cash drawers.
    public var drawers: CashDrawers { CashDrawers(node: self) }
}
