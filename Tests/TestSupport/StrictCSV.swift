import Foundation

/// CSV read the way a spreadsheet or a script reads it: Python's `csv.DictReader`, strict
/// (`Tests/Helpers/read-csv.py`). Every column must be named once, every row must have the
/// header's number of fields, and each column in `filled` must hold a value in every row.
public enum StrictCSV {
    static let helper = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Helpers/read-csv.py").path

    /// The rows, each keyed by its header's column names; throws with the reader's reasons.
    public static func rows(_ csv: String, filled: [String] = []) throws -> [[String: String]] {
        let result = try ProcessRunner.run("/usr/bin/python3", [helper] + filled, stdin: csv)
        guard result.status == 0 else {
            throw SandboxError(message: "read-csv.py refused the CSV: \(result.stderr)\(csv)")
        }
        return try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [[String: String]] ?? []
    }
}
