import CSQLite
import EdgeCrypto
import Foundation

/// The baseline sale: the same work as C calls straight into SQLite, in a database of its own —
/// the ticket signed (one Ed25519 signature through libcrypto, before the transaction, as the
/// node signs), BEGIN IMMEDIATE, read and compare-and-set of the inventory row (GA: the
/// category's allocation; seated: the best available seat, the first by rank), 3 inserts, COMMIT.
final class RawSale {
    /// What is sold: standing places counted in one row, or seats, one row each.
    enum Kind { case ga, seated }
    private let kind: Kind
    private var db: OpaquePointer?
    private var statements = [String: OpaquePointer]()
    private var counter = 0
    private let key = Ed25519PrivateKey.generate()
    /// Why the last `sell` returned false.
    private(set) var lastFailure = ""

    /// Opens the baseline database; `create` sets it up (WAL, tables, the inventory row), which
    /// one process does before others open it.
    init(path: String, synchronous: String, kind: Kind = .ga, create: Bool = true) throws {
        self.kind = kind
        guard sqlite3_open(path, &db) == SQLITE_OK else { throw BenchError("cannot open \(path)") }
        try exec("PRAGMA busy_timeout = 10000; PRAGMA synchronous = \(synchronous);")
        guard create else { return }
        try exec("PRAGMA journal_mode = WAL")
        try exec(
            """
            CREATE TABLE IF NOT EXISTS allocation (event_id TEXT, category_code TEXT, quota INTEGER, sold INTEGER,
                version INTEGER, PRIMARY KEY (event_id, category_code)) WITHOUT ROWID;
            CREATE TABLE IF NOT EXISTS orders (id TEXT PRIMARY KEY, event_id TEXT, total_minor INTEGER, created_at INTEGER);
            CREATE TABLE IF NOT EXISTS ticket (code TEXT PRIMARY KEY, order_id TEXT, price_minor INTEGER, signature BLOB);
            CREATE TABLE IF NOT EXISTS payment (id TEXT PRIMARY KEY, order_id TEXT, method TEXT, amount_minor INTEGER);
            INSERT OR IGNORE INTO allocation VALUES ('E', 'GA', 100000000, 0, 0);
            """)
        guard kind == .seated else { return }
        // As many seats as the bench node's seated category (5,000), ranked in the venue's order.
        try exec(
            """
            CREATE TABLE IF NOT EXISTS seat (event_id TEXT, label TEXT, seat_rank INTEGER, status TEXT, version INTEGER,
                PRIMARY KEY (event_id, label)) WITHOUT ROWID;
            CREATE INDEX IF NOT EXISTS seat_available ON seat (event_id, status, seat_rank);
            WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 5000)
            INSERT OR IGNORE INTO seat SELECT 'E', 'S-' || i, i, 'available', 0 FROM n;
            """)
    }

    deinit {
        for statement in statements.values { sqlite3_finalize(statement) }
        sqlite3_close(db)
    }

    private func exec(_ sql: String) throws {
        guard sqlite3_exec(db, sql, nil, nil, nil) == SQLITE_OK else {
            throw BenchError("raw SQLite: \(String(cString: sqlite3_errmsg(db))) in \(sql.prefix(40))")
        }
    }

    private func statement(_ sql: String) -> OpaquePointer {
        if let cached = statements[sql] {
            sqlite3_reset(cached)
            return cached
        }
        var statement: OpaquePointer?
        sqlite3_prepare_v2(db, sql, -1, &statement, nil)
        statements[sql] = statement!
        return statement!
    }

    private func text(_ statement: OpaquePointer, _ index: Int32, _ value: String) {
        sqlite3_bind_text(statement, index, value, -1, unsafeBitCast(-1, to: sqlite3_destructor_type.self))
    }

    /// One sale; false when the compare-and-set lost or the database was busy past the timeout
    /// (the caller retries, as the node does).
    func sell() throws -> Bool {
        counter += 1
        let id = "\(getpid())-\(counter)"
        let signature = key.signature(for: Array("venue-ticket/1\0\(id)".utf8))
        if sqlite3_get_autocommit(db) == 0 { sqlite3_exec(db, "ROLLBACK", nil, nil, nil) }
        guard sqlite3_exec(db, "BEGIN IMMEDIATE", nil, nil, nil) == SQLITE_OK else {
            lastFailure = "BEGIN IMMEDIATE: " + String(cString: sqlite3_errmsg(db))
            return false
        }
        let seat: String?
        switch kind {
        case .ga:
            let read = statement(
                "SELECT quota, sold, version FROM allocation WHERE event_id = 'E' AND category_code = 'GA'")
            guard sqlite3_step(read) == SQLITE_ROW else { throw BenchError("raw: no allocation") }
            let version = sqlite3_column_int64(read, 2)
            sqlite3_reset(read)  // an unfinished read keeps its snapshot past COMMIT, and the next BEGIN fails
            let update = statement(
                "UPDATE allocation SET sold = sold + 1, version = version + 1 WHERE event_id = 'E' AND category_code = 'GA' AND version = ?"
            )
            sqlite3_bind_int64(update, 1, version)
            sqlite3_step(update)
            seat = nil
        case .seated:
            let read = statement(
                "SELECT label, version FROM seat WHERE event_id = 'E' AND status = 'available' ORDER BY seat_rank LIMIT 1"
            )
            guard sqlite3_step(read) == SQLITE_ROW else { throw BenchError("raw: no seat left") }
            let label = String(cString: sqlite3_column_text(read, 0))
            let version = sqlite3_column_int64(read, 1)
            sqlite3_reset(read)
            let update = statement(
                "UPDATE seat SET status = 'sold', version = version + 1 WHERE event_id = 'E' AND label = ? AND version = ?"
            )
            text(update, 1, label)
            sqlite3_bind_int64(update, 2, version)
            sqlite3_step(update)
            seat = label
        }
        guard sqlite3_changes(db) == 1 else {
            lastFailure = "compare-and-set missed"
            try exec("ROLLBACK")
            return false
        }
        let order = statement("INSERT INTO orders VALUES (?, 'E', 2500, ?)")
        text(order, 1, "ord_" + id)
        sqlite3_bind_int64(order, 2, Int64(Date().timeIntervalSince1970 * 1000))
        sqlite3_step(order)
        let ticket = statement("INSERT INTO ticket VALUES (?, ?, 2500, ?)")
        text(ticket, 1, "T" + id + (seat.map { "-" + $0 } ?? ""))
        text(ticket, 2, "ord_" + id)
        sqlite3_bind_blob(
            ticket, 3, signature, Int32(signature.count), unsafeBitCast(-1, to: sqlite3_destructor_type.self))
        sqlite3_step(ticket)
        let payment = statement("INSERT INTO payment VALUES (?, ?, 'cash', 2500)")
        text(payment, 1, "pay_" + id)
        text(payment, 2, "ord_" + id)
        sqlite3_step(payment)
        guard sqlite3_exec(db, "COMMIT", nil, nil, nil) == SQLITE_OK else {
            lastFailure = "COMMIT: " + String(cString: sqlite3_errmsg(db))
            sqlite3_exec(db, "ROLLBACK", nil, nil, nil)
            return false
        }
        return true
    }
}

struct BenchError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
