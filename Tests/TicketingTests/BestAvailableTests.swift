import TestSupport
import Testing

@testable import Ticketing

@Suite struct BestAvailableTests {
    @Test func noAdjacentRunMeansNil() throws {
        let h = try NodeHarness()
        for seat in ["MAIN-A-3", "MAIN-A-6", "MAIN-A-9"] { _ = try h.sell("SHOW", "MAIN", selection: .seats([seat])) }
        for row in ["B", "C", "D", "E"] {
            _ = try h.sell("SHOW", "MAIN", selection: .seats((1...10).map { "MAIN-\(row)-\($0)" }))
        }
        #expect(throws: TicketingError.soldOut("no 3 adjacent seats left in MAIN; pick the seats by label")) {
            try h.sell("SHOW", "MAIN", selection: .quantity(3))
        }
        let pair = try h.sell("SHOW", "MAIN", selection: .quantity(2))
        #expect(pair.tickets.compactMap(\.seat) == ["MAIN-A-4", "MAIN-A-5"])
    }

    /// Best available reads outwards from each row's centre; it must choose exactly what reading
    /// whole rows chooses, on seat maps with gaps, other categories' seats, and every pattern of
    /// sold seats, for runs of 1 to 7.
    @Test func readingOutwardsChoosesWhatReadingWholeRowsChooses() throws {
        var random = SplitMix(seed: 20_261_203)
        for _ in 0..<4000 {
            let map = SeatMap.random(&random)
            let count = 1 + random.below(7)
            let chosen = try BestAvailable(count: count, seats: map).choose()
            #expect(chosen == map.wholeRowChoice(count), "\(count) seats in \(map)")
        }
    }

    /// Two runs equally near the centre, the left one reaching just past the seats read first
    /// on its side: the left one is chosen (the first as the seat map reads), so the reading
    /// goes on until it has it.
    @Test func anEquallyNearRunJustPastTheSeatsReadStillWinsTheTie() throws {
        let map = SeatMap(rows: [SeatMap.Row(numbers: Array(1...20), available: [3, 4, 6, 8, 10, 17, 18])])
        let chosen = try BestAvailable(count: 2, seats: map).choose()
        #expect(chosen?.map(\.label) == ["R0-3", "R0-4"])
        #expect(chosen == map.wholeRowChoice(2))
    }

    /// A row that sells from its centre outwards, the way best available fills it: each sale of
    /// one seat reads a few seats around the sold block, not the row.
    @Test func aRowFillingFromTheCentreIsNotReadWhole() throws {
        var map = SeatMap(rows: [SeatMap.Row(numbers: Array(1...100), available: Set(1...100))])
        for _ in 0..<100 {
            map.seatsRead = 0
            let chosen = try #require(try BestAvailable(count: 1, seats: map).choose())
            #expect(chosen == map.wholeRowChoice(1))
            #expect(map.seatsRead <= 6, "read \(map.seatsRead) seats to sell \(chosen[0].label)")
            map.rows[0].available.remove(chosen[0].number)
        }
        #expect(try BestAvailable(count: 1, seats: map).choose() == nil)
    }
}

private final class ReadCount {
    var seats = 0
}

/// Rows of a category's seats in memory: each row's seat numbers (with gaps where a seat is
/// another category's or missing) and which of them are available.
private struct SeatMap: AvailableSeats, CustomStringConvertible {
    struct Row {
        var numbers: [Int]
        var available: Set<Int>
    }

    var rows: [Row]
    private let reads = ReadCount()
    /// Seats handed to best available so far.
    var seatsRead: Int {
        get { reads.seats }
        nonmutating set { reads.seats = newValue }
    }

    init(rows: [Row]) { self.rows = rows }

    static func random(_ random: inout SplitMix) -> SeatMap {
        SeatMap(
            rows: (0..<(1 + random.below(5))).map { _ in
                let first = random.below(3)
                let numbers = (first..<(first + random.below(40))).filter { _ in random.below(8) != 0 }
                let density = random.below(5)
                var available = Set(numbers.filter { _ in random.below(4) < density })
                if random.below(3) == 0, let low = numbers.first, let high = numbers.last {
                    // Sold from the centre outwards, as best available fills a row.
                    let centre = (low + high) / 2
                    let sold = random.below(high - low + 2)
                    available = Set(numbers.filter { abs($0 - centre) * 2 > sold })
                }
                return Row(numbers: numbers, available: available)
            })
    }

    private func seat(row: Int, number: Int) -> RankedSeat {
        RankedSeat(rank: RankedSeat.rank(row: Int64(row), number: number), label: "R\(row)-\(number)")
    }

    func nextRow(after rank: Int64?) throws -> SeatRow? {
        let all = rows.indices.flatMap { row in
            rows[row].numbers.filter(rows[row].available.contains).map { self.seat(row: row, number: $0).rank }
        }
        guard let first = all.first(where: { $0 > (rank ?? .min) }) else { return nil }
        let row = Int(RankedSeat.row(ofRank: first))
        return SeatRow(
            row: Int64(row), first: rows[row].numbers[0], last: rows[row].numbers[rows[row].numbers.count - 1])
    }

    func available(in ranks: ClosedRange<Int64>, descending: Bool, limit: Int) throws -> [RankedSeat] {
        let all = rows.indices.flatMap { row in
            rows[row].numbers.filter(rows[row].available.contains).map { seat(row: row, number: $0) }
        }.filter { ranks.contains($0.rank) }
        let found = Array((descending ? all.reversed() : all).prefix(limit))
        seatsRead += found.count
        return found
    }

    /// What best available chose before it read outwards: each row whole, in order; in the first
    /// with a run of `count` consecutive numbers, the run whose middle is nearest the row's centre,
    /// the first of equally near ones.
    func wholeRowChoice(_ count: Int) -> [RankedSeat]? {
        for (index, row) in rows.enumerated() {
            guard let low = row.numbers.first, let high = row.numbers.last else { continue }
            let free = row.numbers.filter(row.available.contains)
            var best: (start: Int, distance: Double)?
            for start in free.indices where start + count <= free.count {
                guard free[start + count - 1] - free[start] == count - 1 else { continue }
                let distance = abs(Double(free[start] + free[start + count - 1]) / 2 - Double(low + high) / 2)
                if best == nil || distance < best!.distance { best = (start, distance) }
            }
            if let best { return free[best.start..<(best.start + count)].map { seat(row: index, number: $0) } }
        }
        return nil
    }

    var description: String {
        rows.map { row in row.numbers.map { row.available.contains($0) ? "\($0)" : "(\($0))" }.joined(separator: " ") }
            .joined(separator: " / ")
    }
}

/// SplitMix64: a small seeded generator, so that a failing case can be run again.
struct SplitMix {
    private var state: UInt64
    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A number in 0..<bound (bound > 0).
    mutating func below(_ bound: Int) -> Int { Int(next() % UInt64(max(bound, 1))) }
}
