import EdgeStore
import SyncWire

/// A deadline stored in a row on two clocks: the wall clock's time, recorded and shown to people,
/// and the boot clock's (``BootTime``), which decides while the machine has not restarted. A step
/// of the wall clock (NTP correcting it, `date -s`) then neither stretches a hold or an email's
/// wait by the step back nor cuts it short by the step forward. Across a restart the boot clock's
/// reading means nothing, and the wall clock decides.
///
/// A table keeps one in three columns: `<name>_at` (wall milliseconds), `<name>_boot_id` and
/// `<name>_boot_ms` (null in rows made before they existed: the wall clock decides for those).
///
/// ```swift
/// let expiry = Deadline.Column("expires")
/// let insert = "INSERT INTO hold (id, \(expiry.columns)) VALUES (?, ?, ?, ?)"
/// try db.execute(insert, [id] + Deadline(after: 600, on: node.clock).values)
/// let due = expiry.select("*", from: "hold", where: "status = 'active'", [], now: node.clock)
/// try db.rows(due.sql, due.arguments)
/// ```
struct Deadline {
    let wall: Timestamp
    let boot: BootTime

    /// `seconds` from now on both clocks.
    init(after seconds: Int64, on clock: any WallClock) {
        wall = clock.now().adding(seconds: seconds)
        boot = clock.sinceBoot().adding(seconds: seconds)
    }

    /// The values of its three columns, in their order.
    var values: [any SQLValueConvertible] { [wall.milliseconds, boot.boot, boot.milliseconds] }

    /// True when a deadline read from a row (its three columns) has passed: on the boot clock
    /// when the row's boot is this one, else on the wall clock.
    static func hasPassed(wall: Timestamp, bootID: String?, bootMilliseconds: Int64?, now clock: any WallClock) -> Bool
    {
        let boot = clock.sinceBoot()
        if let bootID, let bootMilliseconds, !bootID.isEmpty, bootID == boot.boot {
            return boot.milliseconds >= bootMilliseconds
        }
        return clock.now() >= wall
    }

    /// A deadline's columns in SQL.
    struct Column {
        let name: String

        init(_ name: String) { self.name = name }

        /// The three columns, comma-separated, for an INSERT or a SELECT.
        var columns: String { "\(name)_at, \(name)_boot_id, \(name)_boot_ms" }

        /// The three columns as an UPDATE sets them (`?` each).
        var assignments: String { "\(name)_at = ?, \(name)_boot_id = ?, \(name)_boot_ms = ?" }

        /// `SELECT columns FROM table WHERE filter` for the rows whose deadline has passed: on the
        /// boot clock when the row's boot is this one, else on the wall clock; then `rest` (ORDER BY
        /// on result columns, LIMIT). Two index ranges joined by UNION ALL: SQLite reads an OR of
        /// them by scanning every row the filter allows. The arguments are `filterArguments`, then
        /// now's readings, then `restArguments`.
        func select(
            _ columns: String, from table: String, where filter: String,
            _ filterArguments: [any SQLValueConvertible], now clock: any WallClock, then rest: String = "",
            _ restArguments: [any SQLValueConvertible] = []
        ) -> (sql: String, arguments: [any SQLValueConvertible]) {
            let boot = clock.sinceBoot()
            let sql = """
                SELECT \(columns) FROM \(table) WHERE \(filter) AND \(name)_boot_id = ? AND \(name)_boot_ms <= ?
                UNION ALL
                SELECT \(columns) FROM \(table) WHERE \(filter) AND \(name)_boot_id IS NOT ? AND \(name)_at <= ?
                \(rest)
                """
            return (
                sql,
                filterArguments + [boot.boot, boot.milliseconds] + filterArguments
                    + [boot.boot, clock.now().milliseconds] + restArguments
            )
        }
    }
}
