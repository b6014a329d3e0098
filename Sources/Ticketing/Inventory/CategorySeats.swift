import EdgeStore

/// A category's seats as best available reads them: from `event_seat_by_category`, whose entries
/// for the available seats are in rank order and carry the label (read either way from a seek),
/// and `event_seat_rank` for a row's bounds.
struct CategorySeats: AvailableSeats {
    let db: Database
    let eventID: String
    let categoryCode: String

    func firstAvailable(after rank: Int64?) throws -> Int64? {
        try db.scalar(
            """
            SELECT seat_rank FROM event_seat
            WHERE event_id = ? AND category_code = ? AND status = 'available' AND seat_rank > ?
            ORDER BY seat_rank LIMIT 1
            """, [eventID, categoryCode, rank ?? Int64.min])
    }

    func available(in ranks: ClosedRange<Int64>, descending: Bool, limit: Int) throws -> [RankedSeat] {
        var seats = [RankedSeat]()
        try db.forEachRow(
            descending ? Self.availableDescending : Self.availableAscending,
            [eventID, categoryCode, ranks.lowerBound, ranks.upperBound, limit]
        ) { row in
            seats.append(RankedSeat(rank: try row.get(0), label: try row.get(1)))
            return true
        }
        return seats
    }

    private static let availableAscending = """
        SELECT seat_rank, seat_label FROM event_seat
        WHERE event_id = ? AND category_code = ? AND status = 'available' AND seat_rank BETWEEN ? AND ?
        ORDER BY seat_rank LIMIT ?
        """

    private static let availableDescending = """
        SELECT seat_rank, seat_label FROM event_seat
        WHERE event_id = ? AND category_code = ? AND status = 'available' AND seat_rank BETWEEN ? AND ?
        ORDER BY seat_rank DESC LIMIT ?
        """

    /// One seek each in `event_seat_rank`; nil when the category has no seat in the row.
    func numberBounds(ofRow row: Int64) throws -> (first: Int, last: Int)? {
        let bounds = try db.row(
            """
            SELECT (SELECT min(seat_rank) FROM event_seat
                    WHERE event_id = ?1 AND category_code = ?2 AND seat_rank BETWEEN ?3 AND ?4),
                   (SELECT max(seat_rank) FROM event_seat
                    WHERE event_id = ?1 AND category_code = ?2 AND seat_rank BETWEEN ?3 AND ?4)
            """,
            [
                eventID, categoryCode, RankedSeat.rank(row: row, number: 0),
                RankedSeat.rank(row: row, number: RankedSeat.maxNumber),
            ])
        let first: Int64? = try bounds?.get(0)
        let last: Int64? = try bounds?.get(1)
        guard let first, let last else { return nil }
        return (RankedSeat.number(ofRank: first), RankedSeat.number(ofRank: last))
    }
}
