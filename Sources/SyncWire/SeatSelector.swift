/// Names a set of seats of a venue, as allocations and the CLI write them:
/// `*` (every seat), a section `STALLS`, a row `STALLS-A`, a seat `STALLS-A-12`, or a range of
/// seats in one row `STALLS-A-1..10`.
public struct SeatSelector: Sendable, Equatable {
    private enum Form: Equatable {
        case all
        case text(String)
        case range(row: String, numbers: ClosedRange<Int>)
    }

    private let form: Form

    /// Parses a selector; nil for a malformed range (`STALLS-A-9..2`, `STALLS-A-x..3`).
    public init?(_ text: String) {
        if text == "*" {
            form = .all
        } else if let dots = text.firstRange(of: "..") {
            let start = text[..<dots.lowerBound]
            let end = text[dots.upperBound...]
            guard let dash = start.lastIndex(of: "-"), let low = Int(start[start.index(after: dash)...]),
                let high = Int(end),
                low >= 1, low <= high
            else { return nil }
            form = .range(row: String(start[..<dash]), numbers: low...high)
        } else {
            form = .text(text)
        }
    }

    /// True when the seat at `section`/`row`/`number` (labelled `SECTION-ROW-NUMBER`) is selected.
    public func matches(section: String, row: String, number: Int) -> Bool {
        switch form {
        case .all: true
        case .text(let text): text == section || text == "\(section)-\(row)" || text == "\(section)-\(row)-\(number)"
        case .range(let rowName, let numbers): rowName == "\(section)-\(row)" && numbers.contains(number)
        }
    }
}
