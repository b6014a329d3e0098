import Foundation
import SQLValues

/// Compares rows a database holds with rows a vector file expects (JSON objects of selected columns).
public enum RowExpectation {
    /// The columns that identify a row of each table in the vectors.
    public static let keys: [String: [String]] = [
        "orders": ["id"], "ticket": ["code"], "payment": ["id"], "customer": ["id"], "refund": ["id"], "node": ["id"],
        "sync_inbox": ["node_id", "seq"], "event": ["id"], "price_category": ["event_id", "code"], "seat": ["label"],
        "event_seat": ["seat_label"], "sync_pull_parked": ["seq"], "node_setting": ["key"], "audit_log": ["action"],
        "event_central_status": ["event_id"], "sync_outbox": ["seq"],
        "ticket_admission": ["ticket_code", "admitted_at"],
        "node_key": ["public_key"],
        "signing_key": ["key_id"], "door_admission": ["ticket_code"], "door_revocation": ["ticket_code"],
        "door_vouched": ["ticket_code"], "allocation_seat": ["event_id", "seat_label"],
        "sync_conflict": ["kind", "entity_id"], "door_scanner_admission": ["scanner", "ticket_code", "admitted_at"],
    ]

    /// Problems found (empty when every expected row is there with the expected values, and
    /// none of those marked `"absent": true` is). `fetch` runs a query with bound arguments and
    /// returns the first row, if any.
    public static func mismatches(
        table: String, expected: [[String: Any]], keyColumns: [String]? = nil,
        fetch: (String, [SQLValue]) throws -> Row?
    ) throws -> [String] {
        let keys = keyColumns ?? Self.keys[table] ?? []
        var problems = [String]()
        for var object in expected {
            let absent = object.removeValue(forKey: "absent") as? Bool == true
            let columns = object.keys.sorted()
            let condition = keys.map { "\($0) = ?" }.joined(separator: " AND ")
            let arguments = keys.map { value(object[$0]) }
            let sql = "SELECT \(columns.joined(separator: ", ")) FROM \(table) WHERE \(condition)"
            if absent {
                if try fetch(sql, arguments) != nil {
                    problems.append(
                        "\(table): a row where \(zip(keys, arguments).map { "\($0)=\($1)" }.joined(separator: ", "))")
                }
                continue
            }
            guard let row = try fetch(sql, arguments) else {
                problems.append(
                    "\(table): no row where \(zip(keys, arguments).map { "\($0)=\($1)" }.joined(separator: ", "))")
                continue
            }
            for column in columns where row[column] != value(object[column]) {
                problems.append(
                    "\(table) \(arguments): \(column) is \(row[column].map { "\($0)" } ?? "missing"), expected \(value(object[column]))"
                )
            }
        }
        return problems
    }

    /// A JSON value as the SQL value a database returns for it.
    public static func value(_ json: Any?) -> SQLValue {
        switch json {
        case nil, is NSNull: return .null
        case let number as NSNumber:
            return number.doubleValue == Double(number.int64Value)
                ? .integer(number.int64Value) : .real(number.doubleValue)
        case let text as String: return .text(text)
        default: return .text("\(json!)")
        }
    }

    /// `object` as compact JSON with sorted keys.
    public static func json(_ object: Any) -> String {
        String(
            decoding: try! JSONSerialization.data(
                withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes, .fragmentsAllowed]),
            as: UTF8.self)
    }

    /// The file `SyncProtocol/vectors/NAME` as a JSON object.
    public static func vectorFile(_ name: String) throws -> [String: Any] {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
            .appendingPathComponent("SyncProtocol/vectors/\(name)")
        return try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as! [String: Any]
    }
}
