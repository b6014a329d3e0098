import EdgeCrypto
import MySQLClient
import SyncWire

/// Where central's schema stands, or what a migration did.
public struct CentralMigrationReport: Sendable, Codable, Equatable {
    public let version: Int
    public let applied: [String]
    public let pending: [String]
    public let dryRun: Bool
}

/// Applies `SyncProtocol/mysql/NNN_name.sql` in order and records each, with the SHA-256 of its
/// text, in `schema_migrations`. An applied migration whose text changed since is refused, and so
/// is a database newer than this build.
///
/// MySQL commits DDL implicitly, so a migration is not atomic: each file is written to be safe
/// to resume (a failure is reported with the statement that failed, and the migration stays
/// pending). Run `central migrate` from one place at a time.
public struct CentralMigrator {
    let connection: MySQLConnection
    let migrations: [(name: String, sql: String)]

    /// A migrator over the embedded schema (or `migrations`, in tests).
    public init(connection: MySQLConnection, migrations: [(name: String, sql: String)] = CentralSchema.migrations) {
        self.connection = connection
        self.migrations = migrations
    }

    /// Applied and pending migrations, without changing anything.
    public func status() throws -> CentralMigrationReport {
        let applied = try verifiedApplied()
        return CentralMigrationReport(
            version: applied.count, applied: applied,
            pending: migrations.dropFirst(applied.count).map(\.name), dryRun: true)
    }

    /// Applies every pending migration (or, with `dryRun`, reports them).
    public func migrate(dryRun: Bool, now: Timestamp) throws -> CentralMigrationReport {
        if dryRun { return try status() }
        try connection.executeScript(
            """
            CREATE TABLE IF NOT EXISTS schema_migrations (
                version INT NOT NULL PRIMARY KEY,
                name VARCHAR(200) NOT NULL,
                checksum CHAR(64) NOT NULL,
                applied_at DATETIME(3) NOT NULL
            ) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin
            """)
        var appliedNow = [String]()
        let alreadyApplied = try verifiedApplied().count
        for (offset, migration) in migrations.enumerated() where offset >= alreadyApplied {
            try connection.executeScript(migration.sql)
            try connection.execute(
                "INSERT INTO schema_migrations (version, name, checksum, applied_at) VALUES (?, ?, ?, ?)",
                [offset + 1, migration.name, Self.checksum(migration.sql), now.sqlText])
            appliedNow.append(migration.name)
        }
        let total = try verifiedApplied()
        return CentralMigrationReport(version: total.count, applied: appliedNow, pending: [], dryRun: false)
    }

    /// Throws unless the database's schema is exactly this build's.
    public func requireCurrent() throws {
        let status = try status()
        guard status.pending.isEmpty else {
            throw CentralError.rejected(
                code: "migration_needed",
                message: "central schema is at version \(status.version), "
                    + "this build needs \(migrations.count); run 'central migrate'")
        }
    }

    private func verifiedApplied() throws -> [String] {
        guard
            try connection.scalar(
                """
                SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = DATABASE() AND table_name = 'schema_migrations'
                """, as: Int.self) == 1
        else { return [] }
        let rows = try connection.rows("SELECT version, name, checksum FROM schema_migrations ORDER BY version")
        guard rows.count <= migrations.count else {
            throw CentralError.rejected(
                code: "schema_newer",
                message: "central schema version \(rows.count) is newer than this build (\(migrations.count))")
        }
        return try zip(rows, migrations).map { row, migration in
            let name: String = try row.get("name")
            let checksum: String = try row.get("checksum")
            guard name == migration.name, checksum == Self.checksum(migration.sql) else {
                throw CentralError.rejected(
                    code: "migration_edited",
                    message: "applied migration \(name) differs from this build's "
                        + "\(migration.name); an applied migration must never be edited")
            }
            return name
        }
    }

    static func checksum(_ sql: String) -> String { Hex.encode(SHA256.hash(Array(sql.utf8))) }
}
