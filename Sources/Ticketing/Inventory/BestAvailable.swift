/// Picks `count` adjacent available seats in one row: the best-ranked row (section order, then
/// row order, as the seat map lists them) that has such a run, and in it the run nearest the
/// row's centre.
enum BestAvailable {
    static func choose(_ count: Int, from seats: [SeatState]) -> [SeatState]? {
        guard count > 0 else { return nil }
        let rows = Dictionary(grouping: seats) { RowKey(sectionRank: $0.sectionRank, rowRank: $0.rowRank) }
        for key in rows.keys.sorted() {
            let row = rows[key]!.sorted { $0.number < $1.number }
            guard let first = row.first, let last = row.last else { continue }
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
            if let best { return Array(best.seats) }
        }
        return nil
    }

    private struct RowKey: Hashable, Comparable {
        let sectionRank: Int
        let rowRank: Int
        static func < (lhs: RowKey, rhs: RowKey) -> Bool {
            (lhs.sectionRank, lhs.rowRank) < (rhs.sectionRank, rhs.rowRank)
        }
    }
}
