import EdgeStore

/// A category's seats as best available reads them: from `event_seat_available`, whose entries
/// are the available seats in rank order and carry the label (read either way from a seek), and
/// `event_seat_rank` for a row's bounds.
struct CategorySeats: AvailableSeats {
    let db: Database
    let eventID: String
    let categoryCode: String

    func nextRow(after rank: Int64?) throws -> SeatRow? {
        guard let row = try db.row(Self.nextRow, [eventID, categoryCode, rank ?? Int64.min]) else { return nil }
        let first: Int64 = try row.get(1)
        let last: Int64 = try row.get(2)
        return SeatRow(
            row: RankedSeat.row(ofRank: try row.get(0)), first: RankedSeat.number(ofRank: first),
            last: RankedSeat.number(ofRank: last))
    }

    /// The first available seat after a rank, and the first and last rank of the category's
    /// seats in its row (one seek each in `event_seat_rank`).
    private static let nextRow = """
        SELECT f.seat_rank,
               (SELECT min(seat_rank) FROM event_seat WHERE event_id = ?1 AND category_code = ?2
                   AND seat_rank BETWEEN f.seat_rank >> \(RankedSeat.numberBits) << \(RankedSeat.numberBits)
                                     AND (f.seat_rank >> \(RankedSeat.numberBits) << \(RankedSeat.numberBits)) + \(RankedSeat.maxNumber)),
               (SELECT max(seat_rank) FROM event_seat WHERE event_id = ?1 AND category_code = ?2
                   AND seat_rank BETWEEN f.seat_rank >> \(RankedSeat.numberBits) << \(RankedSeat.numberBits)
                                     AND (f.seat_rank >> \(RankedSeat.numberBits) << \(RankedSeat.numberBits)) + \(RankedSeat.maxNumber))
        FROM (SELECT seat_rank FROM event_seat
              WHERE event_id = ?1 AND category_code = ?2 AND status = 'available' AND seat_rank > ?3
              ORDER BY seat_rank LIMIT 1) AS f
        """

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

    // Either side of a row's centre in a statement of its own: the two in one (UNION ALL) cost
    // more instructions than both apart.
    private static let availableAscending = available(orderedBy: "seat_rank")
    private static let availableDescending = available(orderedBy: "seat_rank DESC")

    /// The statement of ``available(in:descending:limit:)`` in `order`.
    private static func available(orderedBy order: String) -> String {
        """
        SELECT seat_rank, seat_label FROM event_seat
        WHERE event_id = ? AND category_code = ? AND status = 'available' AND seat_rank BETWEEN ? AND ?
        ORDER BY \(order) LIMIT ?
        """
    }
}
