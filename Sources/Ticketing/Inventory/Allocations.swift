import EdgeStore
import SyncWire

/// What a change to an allocation did.
public enum AllocationChange: String, Sendable, Codable {
    case added, updated, unchanged
}

extension Inventory {
    /// Sets what this node may sell of a category, inside the caller's write transaction.
    ///
    /// GA: `quota`. Seated: the seats matching `seatSelectors` (see ``SeatSelector``). The change is accepted only when it keeps everything this
    /// node already sold or holds: a quota not below `sold + held`, no sold or held seat taken away.
    func setAllocation(eventID: String, categoryCode: String, quota: Int?, seatSelectors: [String]?) throws
        -> AllocationChange
    {
        let (event, category, current) = try eventCategoryAllocation(eventID: eventID, categoryCode: categoryCode)
        let newQuota: Int
        switch category.kind {
        case .ga:
            guard let quota, quota >= 0, seatSelectors == nil else {
                throw TicketingError.invalidInput(
                    "\(eventID) \(categoryCode) is general admission: allocate it by quota")
            }
            guard quota <= category.capacity else {
                throw TicketingError.invalidInput(
                    "quota \(quota) exceeds the capacity \(category.capacity) of \(categoryCode)")
            }
            newQuota = quota
        case .seated:
            guard let seatSelectors, quota == nil else {
                throw TicketingError.invalidInput("\(eventID) \(categoryCode) is seated: allocate it by seats")
            }
            newQuota = try allocateSeats(
                seatMap(event: event, categoryCode: categoryCode), of: event, categoryCode: categoryCode,
                selectors: seatSelectors)
        }
        if let current, current.quota == newQuota { return .unchanged }
        let taken = (current?.sold ?? 0) + (current?.held ?? 0)
        guard newQuota >= taken else {
            throw TicketingError.rejected(
                code: "allocation_below_sales",
                message:
                    "cannot allocate \(newQuota) of \(eventID) \(categoryCode): this node already sold or holds \(taken)"
            )
        }
        if let current {
            guard
                try db.execute(
                    "UPDATE allocation SET quota = ?, version = version + 1 WHERE event_id = ? AND category_code = ? AND version = ?",
                    [newQuota, eventID, categoryCode, current.version]) == 1
            else {
                throw TicketingError.conflict("allocation of \(eventID) \(categoryCode) changed meanwhile")
            }
            return .updated
        }
        try db.execute(
            "INSERT INTO allocation (event_id, category_code, quota) VALUES (?, ?, ?)",
            [eventID, categoryCode, newQuota])
        return .added
    }

    /// Marks exactly the selected seats as this node's; returns how many that is.
    private func allocateSeats(_ seats: [SeatView], of event: EventState, categoryCode: String, selectors: [String])
        throws -> Int
    {
        let wanted = try Set(
            selectors.flatMap { text -> [String] in
                guard let selector = SeatSelector(text) else {
                    throw TicketingError.invalidInput("bad seat range '\(text.prefix(40))'; write SECTION-ROW-FROM..TO")
                }
                let matches = seats.filter {
                    selector.matches(section: $0.section, row: $0.row, number: $0.number)
                }
                guard !matches.isEmpty else {
                    throw TicketingError.notFound(
                        "no seats match '\(text.prefix(40))' in \(event.id) \(categoryCode)")
                }
                return matches.map(\.label)
            })
        for seat in seats {
            let isOurs = seat.status != .unallocated
            if wanted.contains(seat.label), !isOurs {
                try setSeats([seat.label], eventID: event.id, to: .available, from: .unallocated)
            } else if !wanted.contains(seat.label), isOurs {
                guard seat.status == .available else {
                    throw TicketingError.rejected(
                        code: "allocation_below_sales",
                        message: "cannot take back seat \(seat.label): it is \(seat.status.rawValue) at this node")
                }
                try setSeats([seat.label], eventID: event.id, to: .unallocated, from: .available)
            }
        }
        return wanted.count
    }
}
