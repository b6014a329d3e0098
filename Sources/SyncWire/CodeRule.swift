/// What a code may be: node ids, event ids, category and section codes, the same on the node and
/// at central (they travel in every record and change).
public enum CodeRule {
    /// The rule, as errors say it.
    public static let description = "1 to 40 letters, digits, '-', '_' or '.'"

    /// True when `text` is 1 to 40 ASCII letters, digits, `-`, `_` or `.`.
    public static func allows(_ text: String) -> Bool {
        (1...40).contains(text.count)
            && text.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" || $0 == ".") }
    }
}
