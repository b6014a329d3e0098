/// Picks `count` adjacent available seats in one row: the best-ranked row (section order, then
/// row order, as the seat map lists them) that has such a run, and in it the run nearest the
/// row's centre.
///
/// Seats are fed in rank order (section rank, row rank, number), every status included so that
/// the row's centre is the row's and not that of what is left of it; the choice is made as soon as
/// a row with a run is complete, so a sale reads the front rows only, not the whole seat map.
struct BestAvailable {
    let count: Int
    private var row: [SeatState] = []
    private(set) var chosen: [SeatState]?

    init(count: Int) { self.count = count }

    /// Takes the next seat in rank order; false once the choice is made and no more are needed.
    mutating func feed(_ seat: SeatState) -> Bool {
        if let first = row.first, first.sectionRank != seat.sectionRank || first.rowRank != seat.rowRank {
            if let run = Self.bestRun(count, in: row) {
                chosen = run
                return false
            }
            row.removeAll(keepingCapacity: true)
        }
        row.append(seat)
        return true
    }

    /// The choice once every seat was fed (or the feed stopped): nil when no row has the run.
    mutating func finish() -> [SeatState]? {
        if chosen == nil { chosen = Self.bestRun(count, in: row) }
        return chosen
    }

    /// The run of `count` available seats nearest the centre of one row sorted by number.
    private static func bestRun(_ count: Int, in row: [SeatState]) -> [SeatState]? {
        guard count > 0, let first = row.first, let last = row.last else { return nil }
        let centre = Double(first.number + last.number) / 2
        var best: (distance: Double, seats: ArraySlice<SeatState>)?
        var runStart: Int?
        for index in row.indices {
            guard row[index].status == .available else {
                runStart = nil
                continue
            }
            if runStart == nil || row[index].number != row[index - 1].number + 1 { runStart = index }
            guard index - runStart! + 1 >= count else { continue }
            let window = row[(index - count + 1)...index]
            let distance = abs(Double(window.first!.number + window.last!.number) / 2 - centre)
            if best == nil || distance < best!.distance { best = (distance, window) }
        }
        return best.map { Array($0.seats) }
    }
}
