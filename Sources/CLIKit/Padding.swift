extension String {
    /// The text followed by spaces up to `width` characters (longer text as it is), for columns
    /// of plain output.
    public func padded(to width: Int) -> String {
        count >= width ? self : self + String(repeating: " ", count: width - count)
    }
}
