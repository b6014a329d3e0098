extension String {
    /// The text followed by spaces up to `width` terminal columns (``TerminalColumns``; longer
    /// text as it is), for columns of plain output.
    public func padded(to width: Int) -> String {
        let columns = terminalColumns
        return columns >= width ? self : self + String(repeating: " ", count: width - columns)
    }
}
