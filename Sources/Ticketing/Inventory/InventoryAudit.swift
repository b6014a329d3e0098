import EdgeStore
import SyncWire

/// The inventory invariants of a node database, checked by one query: `sold + held <= quota`,
/// `sold` = valid tickets, `held` = active holds, seat statuses agree with the counters, and an
/// event's counters are the sum of its categories and within its capacity. The tests check them
/// after every scenario; the benchmark after every run.
public enum InventoryAudit {
    /// Rows with a `problem` column, one per broken invariant.
    public static let sql = """
        SELECT 'allocation ' || a.event_id || ' ' || a.category_code || ': sold ' || a.sold || ' held ' || a.held
               || ' quota ' || a.quota || ' tickets ' || coalesce(t.valid, 0) || ' holds ' || h.held || ' seats sold ' || s.sold
               || ' seats held ' || s.held AS problem
        FROM allocation a
        JOIN price_category c ON c.event_id = a.event_id AND c.code = a.category_code
        LEFT JOIN (SELECT event_id, category_code, count(*) AS valid FROM ticket
                   WHERE status IN \(TicketStatus.liveList) GROUP BY event_id, category_code) t
          ON t.event_id = a.event_id AND t.category_code = a.category_code
        JOIN (SELECT a3.event_id, a3.category_code,
                     (SELECT coalesce(sum(quantity), 0) FROM hold h WHERE h.event_id = a3.event_id
                        AND h.category_code = a3.category_code AND h.status = 'active') AS held FROM allocation a3) h
          ON h.event_id = a.event_id AND h.category_code = a.category_code
        JOIN (SELECT a4.event_id, a4.category_code,
                     (SELECT count(*) FROM event_seat es WHERE es.event_id = a4.event_id AND es.category_code = a4.category_code
                        AND es.status = 'sold') AS sold,
                     (SELECT count(*) FROM event_seat es WHERE es.event_id = a4.event_id AND es.category_code = a4.category_code
                        AND es.status = 'held') AS held FROM allocation a4) s
          ON s.event_id = a.event_id AND s.category_code = a.category_code
        WHERE a.sold + a.held > a.quota OR a.sold != coalesce(t.valid, 0) OR a.held != h.held
           OR (c.kind = 'seated' AND (s.sold != a.sold OR s.held != a.held))
        UNION ALL
        SELECT 'event ' || e.id || ': sold ' || e.sold || ' held ' || e.held || ' capacity ' || coalesce(e.capacity, '-')
        FROM event e
        WHERE e.sold != (SELECT coalesce(sum(sold), 0) FROM allocation WHERE event_id = e.id)
           OR e.held != (SELECT coalesce(sum(held), 0) FROM allocation WHERE event_id = e.id)
           OR (e.capacity IS NOT NULL AND e.sold + e.held > e.capacity)
        """
}

extension Inventory {
    /// Every broken inventory invariant, in words; empty when the books balance.
    public func violations() throws -> [String] {
        try node.database.rows(InventoryAudit.sql).map { try $0.get("problem") }
    }
}
