import EdgeCrypto

/// One step of a schema: a name and the SQL script that performs it. Never edited once released.
public struct Migration: Sendable, Equatable {
    /// A short name, unique within its migrator (`"1_initial"`).
    public let name: String
    /// The script, one or more `;`-separated statements.
    public let sql: String

    /// A named step.
    public init(_ name: String, sql: String) {
        self.name = name
        self.sql = sql
    }

    /// SHA-256 of the script, recorded when applied so that a later edit is detected.
    public var checksum: String { Hex.encode(SHA256.hash(Array(sql.utf8))) }
}

/// Applies an ordered list of migrations and records each in `schema_migrations`.
///
/// Version N means the first N migrations are applied. Each migration runs in its own
/// `BEGIN IMMEDIATE` transaction, re-checks that no other process applied it meanwhile, and is
/// followed by `PRAGMA foreign_key_check`, so a half-applied or inconsistent step never commits.
///
/// ```swift
/// let migrator = Migrator([Migration("1_initial", sql: "CREATE TABLE …")])
/// try migrator.migrate(db)
/// ```
public struct Migrator: Sendable {
    /// The migrations, in order.
    public let migrations: [Migration]

    /// A migrator over `migrations`, applied in array order.
    public init(_ migrations: [Migration]) {
        self.migrations = migrations
    }

    /// The schema version this build knows: the number of its migrations.
    public var latestVersion: Int { migrations.count }

    /// Where a database stands.
    public struct Status: Sendable, Equatable {
        /// Migrations already applied (version 1 first).
        public var applied: [String]
        /// Migrations this build would apply.
        public var pending: [String]
        /// The current version.
        public var version: Int { applied.count }
    }

    /// Applied and pending migrations; throws when the database is newer than this build or an
    /// applied migration differs from the one this build carries.
    public func status(_ db: Database) throws -> Status {
        let applied = try appliedMigrations(db)
        try verify(applied)
        return Status(applied: applied.map(\.name), pending: migrations.dropFirst(applied.count).map(\.name))
    }

    /// Applies every pending migration and returns the names applied.
    @discardableResult
    public func migrate(_ db: Database, now: () -> String = { "" }) throws -> [String] {
        try db.executeScript(
            """
            CREATE TABLE IF NOT EXISTS schema_migrations (
                version INTEGER PRIMARY KEY,
                name TEXT NOT NULL,
                checksum TEXT NOT NULL,
                applied_at TEXT NOT NULL
            ) STRICT
            """)
        var appliedNow = [String]()
        for (offset, migration) in migrations.enumerated() {
            let version = offset + 1
            let didApply = try db.write { () throws -> Bool in
                let applied = try appliedMigrations(db)
                try verify(applied)
                guard applied.count < version else { return false }
                try db.executeScript(migration.sql)
                let violations = try db.rows("PRAGMA foreign_key_check")
                guard violations.isEmpty else {
                    throw StoreError(
                        code: .constraintForeignKey,
                        message: "migration \(migration.name) leaves \(violations.count) foreign key violations")
                }
                try db.execute(
                    "INSERT INTO schema_migrations (version, name, checksum, applied_at) VALUES (?, ?, ?, ?)",
                    [version, migration.name, migration.checksum, now()])
                try db.execute("PRAGMA user_version = \(version)")
                return true
            }
            if didApply { appliedNow.append(migration.name) }
        }
        return appliedNow
    }

    private struct Applied {
        let name: String
        let checksum: String
    }

    private func appliedMigrations(_ db: Database) throws -> [Applied] {
        let exists: Int? = try db.scalar(
            "SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = 'schema_migrations'")
        guard exists != nil else { return [] }
        return try db.rows("SELECT name, checksum FROM schema_migrations ORDER BY version").map {
            Applied(name: try $0.get("name"), checksum: try $0.get("checksum"))
        }
    }

    private func verify(_ applied: [Applied]) throws {
        guard applied.count <= migrations.count else {
            throw StoreError(
                code: .error,
                message: "database schema version \(applied.count) is newer than this build "
                    + "(version \(migrations.count)); use a newer build or restore a snapshot")
        }
        for (record, migration) in zip(applied, migrations)
        where record.name != migration.name || record.checksum != migration.checksum {
            throw StoreError(
                code: .error,
                message: "applied migration \(record.name) differs from this build's "
                    + "\(migration.name); migrations must never be edited once applied")
        }
    }
}
