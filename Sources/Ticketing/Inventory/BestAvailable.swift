/// Picks `count` adjacent available seats in one row: the best-ranked row (section order, then
/// row order, as the seat map lists them) that has such a run, and in it the run nearest the
/// row's centre, the first of equally near runs as the seat map reads. The row's centre is that of
/// all its seats in the category, sold or not.
///
/// It reads few seats: the first available seat names the row to try; in it, the available seats
/// outwards from the centre, a batch at a time on each side, until the best run among them is
/// nearer the centre than any run reaching past what was read could be, or the row is read out;
/// then the next row with an available seat. A sale in a row that fills from its centre outwards
/// reads a few seats either side of the sold block, not the row.
struct BestAvailable<Seats: AvailableSeats> {
    let count: Int
    let seats: Seats

    /// The chosen run, in seat order; nil when no row has one.
    func choose() throws -> [RankedSeat]? {
        guard count > 0 else { return nil }
        var after: Int64?
        while let row = try seats.nextRow(after: after) {
            if let run = try bestRun(in: row) { return run }
            after = RankedSeat.rank(row: row.row, number: RankedSeat.maxNumber)
        }
        return nil
    }

    /// The run nearest the centre of `bounds`' row, reading outwards from it.
    private func bestRun(in bounds: SeatRow) throws -> [RankedSeat]? {
        let centre = Double(bounds.first + bounds.last) / 2
        // Read so far: every available seat numbered from `below + 1` to `above - 1`; the seats
        // right of the centre in `right`, those left of it in `left`, nearest first.
        var above = Int(centre.rounded(.up))
        var below = above - 1
        var right = [RankedSeat]()
        var left = [RankedSeat]()
        var batch = count + 2
        // Each seat of a run is at most this much farther from the centre than the run's middle.
        let reach = Double(count - 1) / 2
        while true {
            if above <= bounds.last {
                let read = try seats.available(
                    in: bounds.rank(of: above)...bounds.rank(of: bounds.last), descending: false, limit: batch)
                right += read
                above = read.count < batch ? bounds.last + 1 : read[read.count - 1].number + 1
            }
            if below >= bounds.first {
                let read = try seats.available(
                    in: bounds.rank(of: bounds.first)...bounds.rank(of: below), descending: true, limit: batch)
                left += read
                below = read.count < batch ? bounds.first - 1 : read[read.count - 1].number - 1
            }
            let known = left.reversed() + right
            let best = Self.nearestRun(of: count, in: known, to: centre)
            // Every available seat nearer the centre than this was read, so every run whose
            // middle is within `radius - reach` of it.
            let radius = min(
                above > bounds.last ? .infinity : Double(above) - centre,
                below < bounds.first ? .infinity : centre - Double(below))
            if radius == .infinity { return best.map { Array(known[$0.run]) } }
            if let best, best.distance + reach < radius { return Array(known[best.run]) }
            batch *= 2
        }
    }

    /// Among seats of one row in seat order, the run of `count` consecutively numbered seats whose
    /// middle is nearest `centre` (the first of equally near runs), with that distance.
    static func nearestRun(of count: Int, in row: [RankedSeat], to centre: Double)
        -> (run: Range<Int>, distance: Double)?
    {
        var best: (run: Range<Int>, distance: Double)?
        var runStart = 0
        for index in row.indices {
            if index > 0, row[index].number != row[index - 1].number + 1 { runStart = index }
            guard index - runStart + 1 >= count else { continue }
            let run = (index - count + 1)..<(index + 1)
            let distance = abs(Double(row[run.lowerBound].number + row[index].number) / 2 - centre)
            if best == nil || distance < best!.distance { best = (run, distance) }
        }
        return best
    }
}

/// Where ``BestAvailable`` reads a category's seats, by rank.
protocol AvailableSeats {
    /// The row of the first available seat ranked after `rank` (after none: the first), with
    /// the first and last number of the category's seats in it, whatever their status.
    func nextRow(after rank: Int64?) throws -> SeatRow?
    /// The first `limit` available seats ranked in `ranks`, in rank order or its reverse.
    func available(in ranks: ClosedRange<Int64>, descending: Bool, limit: Int) throws -> [RankedSeat]
}

/// A row of a category's seats: its section and row as a rank holds them, and the first and last
/// seat number of the category in it.
struct SeatRow: Equatable {
    let row: Int64
    let first: Int
    let last: Int

    /// The rank of seat `number` of this row.
    func rank(of number: Int) -> Int64 { RankedSeat.rank(row: row, number: number) }
}

/// An available seat as best available reads it: its label and its rank, the section, row and
/// number packed in one integer as ``NodeSchema/seatRank`` packs them (unique among an event's
/// seats).
struct RankedSeat: Equatable {
    let rank: Int64
    let label: String

    /// Bits of the rank that hold the seat number.
    static let numberBits: Int64 = 21
    /// The highest number a rank holds.
    static let maxNumber = Int((1 << numberBits) - 1)

    /// The seat number: the rank's low bits.
    var number: Int { Self.number(ofRank: rank) }

    /// Section and row: the rank without the number.
    static func row(ofRank rank: Int64) -> Int64 { rank >> numberBits }
    /// The seat number a rank holds.
    static func number(ofRank rank: Int64) -> Int { Int(rank & Int64(maxNumber)) }
    /// The rank of seat `number` of `row`.
    static func rank(row: Int64, number: Int) -> Int64 { row << numberBits | Int64(number) }
}
