import EdgeStore
import Printing
import SyncWire

extension Inventory {
    /// The drawing of an event's hall (`boxoffice seats EVENT --svg`): every seat of its seated
    /// categories in the venue's order (sections, rows, numbers), coloured by what this node
    /// knows of it: free to sell here, held, sold, checked in, or another node's. Staff only (any
    /// role): who is in the hall already is the door's knowledge, not a catalog look-up.
    public func seatPlan(eventID: String, by actor: Operator) throws -> SeatMapDrawing {
        try actor.require(.cashier, to: "drawing the seat map")
        if try hasExpiredHolds(eventID: eventID) { try db.write { try sweepExpiredHolds(eventID: eventID) } }
        return try db.read {
            let event = try eventState(eventID)
            var sections = [SeatMapDrawing.Section]()
            try db.forEachRow(
                """
                SELECT s.section, s.row_label, s.number, es.seat_label, es.status,
                       EXISTS (SELECT 1 FROM ticket t WHERE t.event_id = es.event_id AND t.seat_label = es.seat_label
                               AND t.status = 'checked_in') AS checked_in
                FROM seat s JOIN event_seat es ON es.seat_label = s.label
                WHERE s.venue_id = ? AND es.event_id = ?
                ORDER BY s.section_rank, s.row_rank, s.number
                """, [event.venueID, event.id]
            ) { row in
                let section: String = try row.get(0)
                let rowLabel: String = try row.get(1)
                let status: SeatStatus = try row.get(4)
                let state: SeatMapDrawing.State =
                    switch status {
                    case .available: .free
                    case .held: .held
                    case .sold: try row.get(5, as: Int.self) == 1 ? .checkedIn : .sold
                    case .unallocated: .otherNode
                    }
                let seat = SeatMapDrawing.Seat(label: try row.get(3), number: try row.get(2), state: state)
                if sections.last?.name != section { sections.append(.init(name: section, rows: [])) }
                var rows = sections[sections.count - 1].rows
                if rows.last?.label == rowLabel {
                    rows[rows.count - 1] = .init(label: rowLabel, seats: rows[rows.count - 1].seats + [seat])
                } else {
                    rows.append(.init(label: rowLabel, seats: [seat]))
                }
                sections[sections.count - 1] = .init(name: section, rows: rows)
                return true
            }
            guard !sections.isEmpty else {
                throw TicketingError.invalidInput("event \(eventID) has no seated category: no seat map to draw")
            }
            return SeatMapDrawing(
                title: event.name, subtitle: "\(event.id), \(event.startsAt.local(in: event.timezone))",
                sections: sections)
        }
    }
}
