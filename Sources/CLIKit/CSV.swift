/// Comma-separated values as spreadsheets read them (RFC 4180): CRLF line ends, fields with a
/// comma, quote or line break quoted, quotes doubled.
public enum CSV {
    public static func render(_ header: [String], _ rows: [[String]]) -> String {
        ([header] + rows).map { $0.map(field).joined(separator: ",") + "\r\n" }.joined()
    }

    static func field(_ text: String) -> String {
        guard text.contains(where: { $0 == "," || $0 == "\"" || $0.isNewline }) else { return text }
        return "\"" + text.replacing("\"", with: "\"\"") + "\""
    }
}
