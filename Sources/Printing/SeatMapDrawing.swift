/// A hall's seat map as SVG: the stage at the top, each section's rows below it in order, each
/// seat a square coloured by its state, with a legend. Every seat's square has the id
/// `seat-LABEL`, so a seat can be found in the drawing.
public struct SeatMapDrawing: Sendable {
    /// What a seat's colour says.
    public enum State: String, Sendable, CaseIterable {
        case free, held, sold
        case checkedIn = "checked_in"
        /// Sold or sellable by another node of the venue (or no one's yet).
        case otherNode = "other_node"

        /// Its colour, and the words in the legend.
        public var colour: String {
            switch self {
            case .free: "#2e7d32"
            case .held: "#f9a825"
            case .sold: "#1565c0"
            case .checkedIn: "#6a1b9a"
            case .otherNode: "#bdbdbd"
            }
        }

        public var legend: String {
            switch self {
            case .free: "free"
            case .held: "held"
            case .sold: "sold"
            case .checkedIn: "checked in"
            case .otherNode: "another node's"
            }
        }
    }

    public struct Seat: Sendable {
        public let label: String
        public let number: Int
        public let state: State

        public init(label: String, number: Int, state: State) {
            self.label = label
            self.number = number
            self.state = state
        }
    }

    public struct Row: Sendable {
        public let label: String
        public let seats: [Seat]

        public init(label: String, seats: [Seat]) {
            self.label = label
            self.seats = seats
        }
    }

    public struct Section: Sendable {
        public let name: String
        public let rows: [Row]

        public init(name: String, rows: [Row]) {
            self.name = name
            self.rows = rows
        }
    }

    public let title: String
    public let subtitle: String
    public let sections: [Section]

    public init(title: String, subtitle: String, sections: [Section]) {
        self.title = title
        self.subtitle = subtitle
        self.sections = sections
    }

    /// Pixels from one seat to the next, and a seat's side.
    static let pitch = 18
    static let seatSide = 14

    public var svg: String {
        let widest = sections.flatMap(\.rows).map(\.seats.count).max() ?? 0
        let margin = 60
        let width = max(520, 2 * margin + widest * Self.pitch)
        var body = ""
        var y = 20
        body +=
            "<text x=\"\(width / 2)\" y=\"\(y + 16)\" font-size=\"20\" font-weight=\"bold\" text-anchor=\"middle\">"
            + TicketLayout.escaped(title) + "</text>\n"
        body +=
            "<text x=\"\(width / 2)\" y=\"\(y + 38)\" font-size=\"13\" text-anchor=\"middle\">"
            + TicketLayout.escaped(subtitle) + "</text>\n"
        y += 56
        body += "<rect x=\"\(width / 4)\" y=\"\(y)\" width=\"\(width / 2)\" height=\"28\" fill=\"#424242\"/>\n"
        body +=
            "<text x=\"\(width / 2)\" y=\"\(y + 19)\" font-size=\"14\" fill=\"#fff\" text-anchor=\"middle\">STAGE</text>\n"
        y += 50
        for section in sections {
            body +=
                "<text x=\"\(width / 2)\" y=\"\(y + 12)\" font-size=\"14\" font-weight=\"bold\" text-anchor=\"middle\">"
                + TicketLayout.escaped(section.name) + "</text>\n"
            y += 22
            for row in section.rows {
                let rowWidth = row.seats.count * Self.pitch
                let left = (width - rowWidth) / 2
                body +=
                    "<text x=\"\(left - 8)\" y=\"\(y + 12)\" font-size=\"11\" text-anchor=\"end\">"
                    + TicketLayout.escaped(row.label) + "</text>\n"
                for (index, seat) in row.seats.enumerated() {
                    body +=
                        "<rect id=\"seat-\(TicketLayout.escaped(seat.label))\" x=\"\(left + index * Self.pitch)\" "
                        + "y=\"\(y)\" width=\"\(Self.seatSide)\" height=\"\(Self.seatSide)\" rx=\"2\" "
                        + "fill=\"\(seat.state.colour)\"><title>\(TicketLayout.escaped(seat.label)): "
                        + "\(seat.state.legend)</title></rect>\n"
                }
                y += Self.pitch
            }
            y += 16
        }
        y += 10
        let counts = Dictionary(grouping: sections.flatMap(\.rows).flatMap(\.seats), by: \.state).mapValues(\.count)
        var x = 20
        for state in State.allCases {
            body +=
                "<rect x=\"\(x)\" y=\"\(y)\" width=\"\(Self.seatSide)\" height=\"\(Self.seatSide)\" rx=\"2\" "
                + "fill=\"\(state.colour)\"/>\n"
            let text = "\(state.legend) (\(counts[state] ?? 0))"
            body += "<text x=\"\(x + 20)\" y=\"\(y + 12)\" font-size=\"12\">\(text)</text>\n"
            x += 30 + text.count * 7
        }
        y += 34
        return """
            <?xml version="1.0" encoding="UTF-8"?>
            <svg xmlns="http://www.w3.org/2000/svg" width="\(max(width, x))" height="\(y)" viewBox="0 0 \(max(width, x)) \(y)" \
            font-family="DejaVu Sans, Helvetica, Arial, sans-serif">
            <rect width="100%" height="100%" fill="#fff"/>
            \(body)</svg>

            """
    }
}
