/// Left-aligned columns separated by two spaces, for listings in text mode; widths are the
/// columns text takes on a terminal (``TerminalColumns``), so a venue's name in Japanese lines up.
public enum TextTable {
    /// `headers` then `rows`, each column as wide as its widest cell; no trailing spaces.
    public static func render(_ headers: [String], _ rows: [[String]]) -> String {
        render(rows: [headers] + rows)
    }

    /// Rows only, no header line.
    public static func render(rows all: [[String]]) -> String {
        let columns = all.map(\.count).max() ?? 0
        let widths = (0..<columns).map { column in
            all.map { $0.indices.contains(column) ? $0[column].terminalColumns : 0 }.max() ?? 0
        }
        return all.map { row in
            row.enumerated().map { column, cell in
                column == row.count - 1
                    ? cell : cell + String(repeating: " ", count: widths[column] - cell.terminalColumns)
            }.joined(separator: "  ")
        }.joined(separator: "\n")
    }
}
