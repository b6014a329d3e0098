import EdgeStore

/// Ticket inventory: what this node may sell, and the compare-and-set that sells it.
///
/// A sale reads the event, category, allocation and the seats it takes inside its `BEGIN
/// IMMEDIATE` transaction, then updates the allocation and the event only if their `version` is
/// still the one it read and the capacity still holds, and each seat only if it is still
/// available:
///
/// ```sql
/// UPDATE allocation SET sold = sold + ?, version = version + 1
///  WHERE event_id = ? AND category_code = ? AND version = ? AND sold + held + ? <= quota
/// ```
///
/// The event row (the aggregate over all categories) is checked and bumped in the same way, so
/// two sales in different categories cannot together exceed the event's capacity. Read inside the
/// writer lock, the rows cannot have moved; the next sale of the same turn (a sale offered to this
/// writer) starts from what the last compare-and-set left instead of reading again, and there one
/// row unchanged means the turn moved it otherwise: the attempt is undone (a savepoint) and made
/// again from a fresh read, so a cashier sees either a sale or a true "sold out", never a
/// spurious conflict. A seated sale reads its seats inside the lock too: with another writer
/// selling in the category, a read made before the lock is stale by the time it comes.
public struct Inventory {
    let node: VenueNode
    var db: Database { node.database }

    // MARK: Reading

    /// What the last general admission compare-and-set of this transaction left of `categoryCode`
    /// of `eventID`, if it was one: a snapshot for the next sale in the same turn (an offered
    /// sale), taken as optimistic, so that a row something else moved meanwhile only sends it to
    /// read them again.
    private func leftInThisTransaction(eventID: String, categoryCode: String) -> InventorySnapshot? {
        guard let left = node.inventoryLeft, left.transaction == db.transactionsBegun,
            left.snapshot.event.id == eventID, left.snapshot.category.code == categoryCode
        else { return nil }
        return left.snapshot
    }

    /// The event, category and allocation, and the seats `selection` concerns: the seats it names,
    /// or the best available run for a quantity.
    func loadSnapshot(eventID: String, categoryCode: String, for selection: SeatSelection) throws
        -> InventorySnapshot
    {
        let (event, category, allocation) = try eventCategoryAllocation(eventID: eventID, categoryCode: categoryCode)
        let seats: [SeatState] =
            switch (category.kind, selection) {
            case (.ga, _): []
            case (.seated, .seats(let labels)):
                try seatStates(eventID: eventID, categoryCode: categoryCode, labels: labels)
            case (.seated, .quantity(let count)):
                try bestAvailable(count, event: event, categoryCode: categoryCode) ?? []
            }
        return InventorySnapshot(event: event, category: category, allocation: allocation, seats: seats)
    }

    /// The event, its category and this node's allocation of it, in one statement: every sale
    /// reads them.
    func eventCategoryAllocation(eventID: String, categoryCode: String) throws
        -> (EventState, CategoryState, AllocationState?)
    {
        guard let row = try db.row(Self.inventoryRows, [eventID, categoryCode]) else {
            throw Self.noEvent(eventID)
        }
        let category = EventState.columnCount
        let allocation = category + CategoryState.columnCount
        guard row.values[category] != .null else { throw try noCategory(categoryCode, of: eventID) }
        return (
            try EventState(row), try CategoryState(row, from: category),
            row.values[allocation] == .null ? nil : try AllocationState(row, from: allocation)
        )
    }

    private static let inventoryRows = """
        SELECT \(EventState.columns), \(CategoryState.columns), \(AllocationState.columns)
        FROM \(EventState.tables)
        LEFT JOIN price_category c ON c.event_id = e.id AND c.code = ?2
        LEFT JOIN allocation a ON a.event_id = e.id AND a.category_code = ?2
        WHERE e.id = ?1
        """

    func eventState(_ eventID: String) throws -> EventState {
        guard let row = try db.row("SELECT \(EventState.columns) FROM \(EventState.tables) WHERE e.id = ?", [eventID])
        else { throw Self.noEvent(eventID) }
        return try EventState(row)
    }

    /// A category of an event; not found names the event's categories.
    func categoryState(eventID: String, code: String) throws -> CategoryState {
        guard
            let row = try db.row(
                "SELECT \(CategoryState.columns) FROM price_category c WHERE event_id = ? AND code = ?",
                [eventID, code])
        else { throw try noCategory(code, of: eventID) }
        return try CategoryState(row)
    }

    private static func noEvent(_ eventID: String) -> TicketingError {
        TicketingError.notFound("no event '\(eventID.prefix(40))'; 'boxoffice events' lists them")
    }

    private func noCategory(_ code: String, of eventID: String) throws -> TicketingError {
        let known = try db.rows("SELECT code FROM price_category WHERE event_id = ? ORDER BY code", [eventID])
            .map { try $0.get(0, as: String.self) }
        return TicketingError.notFound(
            "event \(eventID) has no category '\(code.prefix(40))' (categories: \(known.joined(separator: ", ")))")
    }

    /// The named seats of a category (unknown labels left out: the caller names them).
    private func seatStates(eventID: String, categoryCode: String, labels: [String]) throws -> [SeatState] {
        try labels.compactMap { label in
            try db.row(
                "SELECT \(SeatState.columns) FROM event_seat WHERE event_id = ? AND seat_label = ? AND category_code = ?",
                [eventID, label, categoryCode]
            ).map(SeatState.init)
        }
    }

    /// The best available run of `count` seats (see ``BestAvailable``): available when read.
    private func bestAvailable(_ count: Int, event: EventState, categoryCode: String) throws -> [SeatState]? {
        let seats = CategorySeats(db: db, eventID: event.id, categoryCode: categoryCode)
        return try BestAvailable(count: count, seats: seats).choose()?.map {
            SeatState(label: $0.label, status: .available)
        }
    }

    // MARK: Reserving

    /// Where reserved inventory goes: sold outright, or held under a hold id.
    enum Target {
        case sold
        case held(holdID: String)
    }

    /// Takes `selection` from the allocation by compare-and-set. Must run inside a write
    /// transaction. After a general admission compare-and-set of the same category in this
    /// transaction, it starts from what that one left (``leftInThisTransaction``): when that
    /// decision holds and its compare-and-set finds every row so, it is the sale (a savepoint
    /// undoes a partial attempt). Otherwise it reads the inventory, which inside the lock is
    /// authoritative: the compare-and-set cannot miss.
    func reserve(eventID: String, categoryCode: String, selection: SeatSelection, into target: Target) throws
        -> Reservation
    {
        if let optimistic = leftInThisTransaction(eventID: eventID, categoryCode: categoryCode),
            let seats = try? choose(selection, in: optimistic)
        {
            do {
                try db.savepoint {
                    try compareAndSet(optimistic, quantity: selection.count, seats: seats, target: target)
                }
                return Reservation(
                    event: optimistic.event, category: optimistic.category, quantity: selection.count,
                    seats: seats.map(\.label))
            } catch is CompareAndSetMiss {}  // another writer moved first
        }
        let snapshot = try loadSnapshot(eventID: eventID, categoryCode: categoryCode, for: selection)
        let seats = try choose(selection, in: snapshot)
        do {
            try compareAndSet(snapshot, quantity: selection.count, seats: seats, target: target)
        } catch is CompareAndSetMiss {
            // Cannot happen under the lock; if it did, the caller's transaction is undone whole.
            throw TicketingError.conflict("the inventory of \(eventID) \(categoryCode) kept changing; try again")
        }
        return Reservation(
            event: snapshot.event, category: snapshot.category, quantity: selection.count, seats: seats.map(\.label))
    }

    /// Decides, on one snapshot, whether the selection can be sold and which seats it takes.
    private func choose(_ selection: SeatSelection, in snapshot: InventorySnapshot) throws -> [SeatState] {
        let event = snapshot.event
        let category = snapshot.category
        guard event.status == .onSale else {
            throw TicketingError.rejected(
                code: "event_not_on_sale",
                message: "event \(event.id) is not on sale (it is \(event.status.rawValue))")
        }
        guard let allocation = snapshot.allocation, allocation.quota > 0 else {
            throw TicketingError.soldOut("this box office has no allocation for \(event.id) \(category.code)")
        }
        let count = selection.count
        guard count <= allocation.remaining else {
            throw TicketingError.soldOut(
                "sold out: \(max(0, allocation.remaining)) left in \(category.code) at this box office, "
                    + "\(count) asked")
        }
        if let remaining = event.remaining, count > remaining {
            throw TicketingError.soldOut("sold out: \(max(0, remaining)) left for event \(event.id), \(count) asked")
        }
        switch (category.kind, selection) {
        case (.ga, .quantity):
            return []
        case (.ga, .seats):
            throw TicketingError.invalidInput("\(category.code) is general admission: sell it by quantity, not by seat")
        case (.seated, .quantity(let count)):
            guard snapshot.seats.count == count else {
                throw TicketingError.soldOut(
                    "no \(count) adjacent seats left in \(category.code); pick the seats by label")
            }
            return snapshot.seats
        case (.seated, .seats(let labels)):
            let byLabel = Dictionary(snapshot.seats.map { ($0.label, $0) }, uniquingKeysWith: { first, _ in first })
            return try labels.map { label in
                guard let seat = byLabel[label] else {
                    throw TicketingError.notFound("no seat '\(label.prefix(40))' in \(event.id) \(category.code)")
                }
                switch seat.status {
                case .available: return seat
                case .unallocated: throw TicketingError.soldOut("seat \(label) is not sold at this box office")
                case .held, .sold: throw TicketingError.soldOut("seat \(label) is already \(seat.status.rawValue)")
                }
            }
        }
    }

    /// Signals that a row moved since the snapshot; the savepoint undoes the attempt.
    struct CompareAndSetMiss: Error {}

    private func compareAndSet(_ snapshot: InventorySnapshot, quantity: Int, seats: [SeatState], target: Target) throws
    {
        let (soldDelta, heldDelta, seatStatus, holdID): (Int, Int, SeatStatus, String?) =
            switch target {
            case .sold: (quantity, 0, .sold, nil)
            case .held(let holdID): (0, quantity, .held, holdID)
            }
        guard let allocation = snapshot.allocation else { throw CompareAndSetMiss() }
        let event = snapshot.event
        guard
            try db.execute(
                """
                UPDATE allocation SET sold = sold + ?, held = held + ?, version = version + 1
                WHERE event_id = ? AND category_code = ? AND version = ? AND sold + held + ? <= quota
                """, [soldDelta, heldDelta, event.id, snapshot.category.code, allocation.version, quantity]) == 1,
            try db.execute(
                """
                UPDATE event SET sold = sold + ?, held = held + ?, version = version + 1
                WHERE id = ? AND version = ? AND status = 'on_sale' AND (capacity IS NULL OR sold + held + ? <= capacity)
                """, [soldDelta, heldDelta, event.id, event.version, quantity]) == 1
        else { throw CompareAndSetMiss() }
        if seats.isEmpty {
            node.inventoryLeft = InventoryLeft(
                transaction: db.transactionsBegun,
                snapshot: InventorySnapshot(
                    event: event.moved(sold: soldDelta, held: heldDelta), category: snapshot.category,
                    allocation: allocation.moved(sold: soldDelta, held: heldDelta), seats: []))
        }
        for seat in seats {
            guard
                try db.execute(
                    """
                    UPDATE event_seat SET status = ?, hold_id = ?, version = version + 1
                    WHERE event_id = ? AND seat_label = ? AND status = 'available'
                    """, [seatStatus, holdID, event.id, seat.label]) == 1
            else { throw CompareAndSetMiss() }
        }
    }

    // MARK: Adjusting counters inside a transaction

    /// Moves counters by deltas that never need a capacity check (held → sold, giving back).
    /// Runs inside the caller's write transaction, where the read is authoritative; the CHECK
    /// constraints reject anything that would go negative.
    func adjust(eventID: String, categoryCode: String, soldDelta: Int, heldDelta: Int) throws {
        guard
            let allocation = try db.row(AllocationState.query, [eventID, categoryCode]).map({ try AllocationState($0) })
        else {
            throw TicketingError.notFound("no allocation for \(eventID) \(categoryCode)")
        }
        let event = try eventState(eventID)
        guard
            try db.execute(
                """
                UPDATE allocation SET sold = sold + ?, held = held + ?, version = version + 1
                WHERE event_id = ? AND category_code = ? AND version = ?
                """, [soldDelta, heldDelta, eventID, categoryCode, allocation.version]) == 1,
            try db.execute(
                "UPDATE event SET sold = sold + ?, held = held + ?, version = version + 1 WHERE id = ? AND version = ?",
                [soldDelta, heldDelta, eventID, event.version]) == 1
        else { throw TicketingError.conflict("inventory of \(eventID) changed during the update; try again") }
    }

    /// Sets seats' status (`available` after a refund or release, `sold` after confirming a hold).
    func setSeats(_ labels: [String], eventID: String, to status: SeatStatus, from expected: SeatStatus) throws {
        for label in labels {
            guard
                try db.execute(
                    """
                    UPDATE event_seat SET status = ?, hold_id = NULL, version = version + 1
                    WHERE event_id = ? AND seat_label = ? AND status = ?
                    """, [status, eventID, label, expected]) == 1
            else { throw TicketingError.conflict("seat \(label) of \(eventID) was not \(expected.rawValue)") }
        }
    }
}

extension VenueNode {
    /// Allocations, availability, holds and check-in.
    public var inventory: Inventory { Inventory(node: self) }
}
