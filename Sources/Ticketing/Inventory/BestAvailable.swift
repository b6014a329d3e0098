/// Picks `count` adjacent available seats in one row: the best-ranked row (section order, then
/// row order, as the seat map lists them) that has such a run, and in it the run nearest the
/// row's centre.
///
/// The available seats' ranks are fed in rank order (section rank, row rank, number); the choice
/// is made as soon as a row with a run is complete, so a sale reads the front rows only, not the
/// whole seat map. The row's centre is that of all its seats in the category, sold or not, which
/// `rowBounds` reads for the rows that have a run.
struct BestAvailable {
    let count: Int
    /// The first and last seat number of the category's seats in the row of the given seat.
    let rowBounds: (RankedSeat) throws -> (first: Int, last: Int)
    private var row: [RankedSeat] = []
    private(set) var chosen: [RankedSeat]?

    init(count: Int, rowBounds: @escaping (RankedSeat) throws -> (first: Int, last: Int)) {
        self.count = count
        self.rowBounds = rowBounds
    }

    /// Takes the next available seat in rank order; false once the choice is made.
    mutating func feed(_ seat: RankedSeat) throws -> Bool {
        if let first = row.first, first.row != seat.row {
            if let run = try bestRun() {
                chosen = run
                return false
            }
            row.removeAll(keepingCapacity: true)
        }
        row.append(seat)
        return true
    }

    /// The choice once every seat was fed (or the feed stopped): nil when no row has the run.
    mutating func finish() throws -> [RankedSeat]? {
        if chosen == nil { chosen = try bestRun() }
        return chosen
    }

    /// The run of `count` consecutively numbered seats of the current row nearest its centre.
    private func bestRun() throws -> [RankedSeat]? {
        guard count > 0, row.count >= count else { return nil }
        var runs = [Range<Int>]()
        var runStart = 0
        for index in row.indices {
            if index > 0, row[index].number != row[index - 1].number + 1 { runStart = index }
            if index - runStart + 1 >= count { runs.append((index - count + 1)..<(index + 1)) }
        }
        guard !runs.isEmpty else { return nil }
        let bounds = try rowBounds(row[0])
        let centre = Double(bounds.first + bounds.last) / 2
        let distance = { (run: Range<Int>) in
            abs(Double(self.row[run.lowerBound].number + self.row[run.upperBound - 1].number) / 2 - centre)
        }
        // The first of equally near runs, as the seat map reads.
        let best = runs.dropFirst().reduce(runs[0]) { best, run in distance(run) < distance(best) ? run : best }
        return Array(row[best])
    }
}

/// A seat as best available reads it: its rank, the section, row and number packed in one
/// integer as ``NodeSchema/seatRank`` packs them (unique among an event's seats).
struct RankedSeat {
    let rank: Int64

    /// Bits of the rank that hold the seat number.
    private static let numberBits: Int64 = 21

    /// Section and row: the rank without the number.
    var row: Int64 { rank >> Self.numberBits }
    /// The seat number: the rank's low bits.
    var number: Int { Self.number(ofRank: rank) }
    /// The ranks of every seat in this seat's row.
    var ranksOfRow: ClosedRange<Int64> { (row << Self.numberBits)...((row + 1) << Self.numberBits) - 1 }

    /// The seat number a rank holds.
    static func number(ofRank rank: Int64) -> Int { Int(rank & ((1 << numberBits) - 1)) }
}
