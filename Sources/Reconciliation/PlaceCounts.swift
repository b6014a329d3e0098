import MySQLClient
import SyncWire

/// The places the last run over every event counted (``Checks/occupiedPlaces()``), kept in
/// `reconciliation_places` with when it counted them, so that a run from the watermark need not
/// count every ticket again.
///
/// The count kept plus every live ticket of the orders received since, less the watermark's
/// margin (``Reconciler/watermarkMargin``: a push stamped before the count and committed after
/// it), plus every refunded ticket checked in, is at least what a count now would give: a refund
/// or a void since only lowers it, a refunded ticket takes a place again only by a check-in, and
/// a seat sold since counts once whether or not another node sold it too. Where no such bound
/// passes a capacity or a quota, nothing there can be oversold.
struct PlaceCounts {
    let connection: MySQLConnection

    /// The kept count plus the tickets received since; nil when no count is kept.
    func bound() throws -> OccupiedPlaces? {
        let kept = try connection.rows(
            "SELECT event_id, category_code, node_id, places, counted_at FROM reconciliation_places")
        guard !kept.isEmpty else { return nil }
        var places = OccupiedPlaces()
        var countedAt = Int64.max
        for row in kept {
            let (eventID, category, node, count) = try Self.count(row)
            places.add(count, eventID: eventID, category: category, node: node.isEmpty ? nil : node)
            countedAt = min(countedAt, (try row.get(4, as: Timestamp.self)).milliseconds)
        }
        let since = Timestamp(milliseconds: countedAt - Reconciler.watermarkMargin * 1000)
        // The tickets of the orders received since, and every refunded ticket checked in (in the
        // count kept or not): a check-in central hears of after the refund takes a place again.
        for row in try connection.rows(
            """
            SELECT t.event_id, t.category_code, t.node_id, COUNT(*) FROM orders o JOIN ticket t ON t.order_id = o.id
            WHERE o.received_at >= ? AND t.status IN \(TicketStatus.liveList)
            GROUP BY t.event_id, t.category_code, t.node_id
            UNION ALL
            SELECT t.event_id, t.category_code, t.node_id, COUNT(DISTINCT t.code)
            FROM refund_ticket r JOIN ticket t ON t.code = r.ticket_code
            WHERE t.status = 'checked_in'
            GROUP BY t.event_id, t.category_code, t.node_id
            """, [since.sqlText])
        {
            let (eventID, category, node, count) = try Self.count(row)
            places.add(count, eventID: eventID, category: category, node: node)
            places.add(count, eventID: eventID, category: category, node: nil)
        }
        return places
    }

    /// A row's event, category, node and places, its first four columns.
    private static func count(_ row: Row) throws -> (String, String, String, Int) {
        (try row.get(0), try row.get(1), try row.get(2), try row.get(3))
    }

    /// Keeps `places`, counted over every event at `countedAt`, in place of the count kept.
    func keep(_ places: OccupiedPlaces, countedAt: Timestamp) throws {
        let rows: [[any SQLValueConvertible]] =
            places.byNode.map { [$0.key.eventID, $0.key.categoryCode, $0.key.nodeID, $0.value, countedAt.sqlText] }
            + places.byCategory.map { [$0.key.eventID, $0.key.code, "", $0.value, countedAt.sqlText] }
        try connection.transaction {
            try connection.execute("DELETE FROM reconciliation_places")
            try connection.insertRows(
                into: "reconciliation_places (event_id, category_code, node_id, places, counted_at)", "(?, ?, ?, ?, ?)",
                rows)
        }
    }
}
