extension QRCode {
    /// Modules of light margin a reader needs around the symbol (section 6.3.8).
    public static let quietZone = 4

    /// The dark modules as horizontal runs: (row, first column, length).
    public var darkRuns: [(row: Int, column: Int, length: Int)] {
        var runs = [(row: Int, column: Int, length: Int)]()
        for row in 0..<size {
            var column = 0
            while column < size {
                guard self[row: row, column: column] else {
                    column += 1
                    continue
                }
                let start = column
                while column < size, self[row: row, column: column] { column += 1 }
                runs.append((row, start, column - start))
            }
        }
        return runs
    }

    /// SVG path data drawing the dark modules, one unit a module, the symbol's top left at
    /// (`x`, `y`) (its quiet zone is the caller's).
    public func svgPath(x: Int = 0, y: Int = 0) -> String {
        darkRuns.map { "M\(x + $0.column) \(y + $0.row)h\($0.length)v1h-\($0.length)z" }.joined()
    }

    /// A whole SVG document of the symbol with its quiet zone, `pixelsPerModule` pixels a module.
    public func svg(pixelsPerModule: Int = 8) -> String {
        let side = size + 2 * Self.quietZone
        return """
            <?xml version="1.0" encoding="UTF-8"?>
            <svg xmlns="http://www.w3.org/2000/svg" width="\(side * pixelsPerModule)" height="\(side * pixelsPerModule)" \
            viewBox="0 0 \(side) \(side)" shape-rendering="crispEdges">
            <rect width="\(side)" height="\(side)" fill="#fff"/>
            <path fill="#000" d="\(svgPath(x: Self.quietZone, y: Self.quietZone))"/>
            </svg>

            """
    }

    /// The symbol as text for a terminal: two rows of modules a line in half blocks, dark on a
    /// light background (a terminal with light text on dark shows it inverted, which phones read
    /// too), with a quiet zone of `margin` modules.
    public func terminalText(margin: Int = 2) -> String {
        let side = size + 2 * margin
        func dark(_ row: Int, _ column: Int) -> Bool {
            let (r, c) = (row - margin, column - margin)
            return (0..<size).contains(r) && (0..<size).contains(c) && self[row: r, column: c]
        }
        var lines = [String]()
        for row in stride(from: 0, to: side, by: 2) {
            var line = ""
            for column in 0..<side {
                switch (dark(row, column), row + 1 < side && dark(row + 1, column)) {
                case (true, true): line += "█"
                case (true, false): line += "▀"
                case (false, true): line += "▄"
                case (false, false): line += " "
                }
            }
            lines.append(line)
        }
        return lines.joined(separator: "\n")
    }
}
