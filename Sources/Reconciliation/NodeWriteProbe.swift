import MySQLClient

/// Every kind of statement a node's daemon runs against central, on each table it writes, run
/// by `central smoke` in one transaction that is rolled back: each matches no row, but the server
/// checks the user's grants, `read_only` and the table's existence for it as for the real one.
/// A grant taken from the nodes' user makes the probe fail, naming the statement and table.
///
/// The list is the sync path's (`PushReceiver`, `RecordApplier`, `OrderBatch`, `ChangeFeed`,
/// `AllocationAnswers`, `EventStatusPublisher`); `NodeWriteProbeTests` syncs every kind of record as a user
/// granted only this list, so a write added to that path without it here fails that test.
public struct NodeWriteProbe {
    /// A kind of statement, as the server checks its grants.
    public enum Statement: String, Sendable, CaseIterable {
        /// `INSERT` (with `ON DUPLICATE KEY UPDATE`, also needs ``update``).
        case insert = "INSERT"
        case update = "UPDATE"
        case delete = "DELETE"
        /// `SELECT … FOR UPDATE`: takes row locks.
        case lockingRead = "SELECT … FOR UPDATE"
    }

    /// What the daemon runs, table by table.
    public static let writes: [(table: String, statements: [Statement])] = [
        ("node", [.insert, .update, .lockingRead]),
        ("sync_inbox", [.insert, .update]),
        ("customer", [.insert, .update]),
        ("orders", [.insert, .update]),
        ("ticket", [.insert, .update]),
        ("payment", [.insert, .update]),
        ("refund", [.insert, .update, .lockingRead]),
        ("refund_ticket", [.insert, .update]),
        ("sync_conflict", [.insert, .update]),
        ("event", [.update, .lockingRead]),
        ("change_sequence", [.update]),
        ("change_log", [.insert]),
        ("allocation", [.update, .lockingRead]),
        ("allocation_seat", [.update, .delete]),
        ("node_key", [.insert, .update]),
        ("ticket_admission", [.insert, .update]),
        ("door_published", [.insert, .update]),
    ]

    /// What one run found: the statements refused, with the server's error.
    public struct Outcome: Sendable, Equatable {
        public let statements: Int
        public let refused: [String]
    }

    let connection: MySQLConnection

    public init(connection: MySQLConnection) { self.connection = connection }

    /// Runs every statement of ``writes`` in one transaction, then rolls it back. A refused
    /// statement is noted and the rest still run (the server undoes only that statement).
    public func run() throws -> Outcome {
        // Every stored column, so the INSERT names them all (strict mode refuses one that leaves
        // a column without a default out, even for no row).
        let columns = try connection.rows(
            """
            SELECT table_name, column_name FROM information_schema.columns
            WHERE table_schema = DATABASE() AND extra NOT LIKE '%GENERATED%' ORDER BY table_name, ordinal_position
            """
        ).reduce(into: [String: [String]]()) { columns, row in
            columns[try row.get(0, as: String.self), default: []].append(try row.get(1, as: String.self))
        }
        var refused = [String]()
        var statements = 0
        try connection.executeScript("START TRANSACTION")
        defer { _ = try? connection.executeScript("ROLLBACK") }
        for (table, kinds) in Self.writes {
            for kind in kinds {
                statements += 1
                do {
                    try connection.executeScript(Self.sql(kind, table: table, columns: columns[table] ?? ["id"]))
                } catch let error as MySQLError {
                    refused.append("\(kind.rawValue) on \(table): \(error.code) \(error.message)")
                }
            }
        }
        return Outcome(statements: statements, refused: refused)
    }

    /// The statement of `kind` on `table` (whose stored `columns` these are) that matches no row.
    static func sql(_ kind: Statement, table: String, columns: [String]) -> String {
        let list = columns.map { "`\($0)`" }.joined(separator: ", ")
        return switch kind {
        case .insert: "INSERT INTO `\(table)` (\(list)) SELECT \(list) FROM `\(table)` WHERE FALSE"
        case .update: "UPDATE `\(table)` SET `\(columns[0])` = `\(columns[0])` WHERE FALSE"
        case .delete: "DELETE FROM `\(table)` WHERE FALSE"
        case .lockingRead: "SELECT 1 FROM `\(table)` WHERE FALSE FOR UPDATE"
        }
    }
}
