import EdgeCrypto
import MySQLClient
import SyncWire

/// Where central's schema stands, or what a migration did.
public struct CentralMigrationReport: Sendable, Codable, Equatable {
    public let version: Int
    public let applied: [String]
    public let pending: [String]
    public let dryRun: Bool
    /// A migration that stopped half-way: how many of its statements are applied.
    public let interrupted: Interrupted?
    /// This central's identity (``CentralIdentity``), once the migration that makes it has run:
    /// what `boxoffice sync rejoin` names to move a node here.
    public let identity: CentralIdentity?
    /// True when this run made the identity again because its row was missing: the nodes that
    /// joined this central no longer recognise it and must each be re-joined to it.
    public var identityMade = false

    public struct Interrupted: Sendable, Codable, Equatable {
        public let name: String
        public let statementsApplied: Int
        public let statements: Int
    }
}

/// Applies `SyncProtocol/mysql/NNN_name.sql` in order and records each, with the SHA-256 of its
/// text, in `schema_migrations`. An applied migration whose text changed since is refused, and so
/// is a database newer than this build.
///
/// MySQL commits DDL implicitly, so a migration is not atomic. The migrator records after each
/// statement how far the migration got (`schema_migration_progress`); one that fails half-way
/// stays pending, the error names the statement, and the next `central migrate`, once the cause
/// is fixed, resumes at that statement instead of running the ones before it again. (Should the
/// process die between a statement and its record, that statement runs again: the files' DDL
/// then fails loudly rather than applying twice.) Run `central migrate` from one place at a time.
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
            pending: migrations.dropFirst(applied.count).map(\.name), dryRun: true,
            interrupted: try progress(of: applied.count).map { done in
                let migration = migrations[applied.count]
                return .init(
                    name: migration.name, statementsApplied: done,
                    statements: MySQLConnection.statements(in: migration.sql).count)
            }, identity: try CentralIdentity.read(connection))
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
            ) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;
            CREATE TABLE IF NOT EXISTS schema_migration_progress (
                version INT NOT NULL PRIMARY KEY,
                name VARCHAR(200) NOT NULL,
                checksum CHAR(64) NOT NULL,
                statements_applied INT NOT NULL,
                updated_at DATETIME(3) NOT NULL
            ) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin
            """)
        var appliedNow = [String]()
        let alreadyApplied = try verifiedApplied().count
        for (offset, migration) in migrations.enumerated() where offset >= alreadyApplied {
            try apply(migration, version: offset + 1, now: now)
            appliedNow.append(migration.name)
        }
        let total = try verifiedApplied()
        let made = try makeMissingIdentity(now: now)
        var report = CentralMigrationReport(
            version: total.count, applied: appliedNow, pending: [], dryRun: false, interrupted: nil,
            identity: try CentralIdentity.read(connection))
        report.identityMade = made
        return report
    }

    /// Makes central's identity again when its table exists (migration 9 ran) but its row does not
    /// (deleted by hand, or a partial restore): without one no node syncs. It is a new identity, as
    /// `UUID()` makes it: nodes that joined the lost one must be re-joined. True when it made one.
    private func makeMissingIdentity(now: Timestamp) throws -> Bool {
        guard
            try connection.scalar(
                """
                SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = DATABASE() AND table_name = 'central_identity'
                """, as: Int.self) == 1,
            try CentralIdentity.read(connection) == nil
        else { return false }
        try connection.execute(
            "INSERT INTO central_identity (id, central_id, created_at) VALUES (1, UUID(), ?)", [now.sqlText])
        return true
    }

    /// Runs a migration's statements from where an earlier run stopped, recording each.
    private func apply(_ migration: (name: String, sql: String), version: Int, now: Timestamp) throws {
        let statements = MySQLConnection.statements(in: migration.sql)
        let checksum = Self.checksum(migration.sql)
        let done = try progress(of: version - 1) ?? 0
        if done == 0 {
            try connection.execute(
                """
                INSERT INTO schema_migration_progress (version, name, checksum, statements_applied, updated_at)
                VALUES (?, ?, ?, 0, ?)
                """, [version, migration.name, checksum, now.sqlText])
        }
        for (index, statement) in statements.enumerated() where index >= done {
            do {
                try connection.executeScript(statement)
            } catch {
                throw CentralError.rejected(
                    code: "migration_failed",
                    message: "migration \(migration.name) stopped at statement \(index + 1) of \(statements.count) "
                        + "(\(statement.split(separator: "\n").first.map { String($0.prefix(80)) } ?? "")): \(error); "
                        + "the \(index) before it are applied: fix the cause and run 'central migrate' again to resume there"
                )
            }
            try connection.execute(
                "UPDATE schema_migration_progress SET statements_applied = ?, updated_at = ? WHERE version = ?",
                [index + 1, now.sqlText, version])
        }
        try connection.execute(
            "INSERT INTO schema_migrations (version, name, checksum, applied_at) VALUES (?, ?, ?, ?)",
            [version, migration.name, checksum, now.sqlText])
        try connection.execute("DELETE FROM schema_migration_progress WHERE version = ?", [version])
    }

    /// Statements applied of the migration after the first `applied` ones, when it stopped half-way.
    private func progress(of applied: Int) throws -> Int? {
        guard applied < migrations.count,
            try connection.scalar(
                """
                SELECT COUNT(*) FROM information_schema.tables
                WHERE table_schema = DATABASE() AND table_name = 'schema_migration_progress'
                """, as: Int.self) == 1,
            let row = try connection.row(
                "SELECT name, checksum, statements_applied FROM schema_migration_progress WHERE version = ?",
                [applied + 1])
        else { return nil }
        let migration = migrations[applied]
        guard try row.get("name", as: String.self) == migration.name,
            try row.get("checksum", as: String.self) == Self.checksum(migration.sql)
        else {
            throw CentralError.rejected(
                code: "migration_edited",
                message: "migration \(migration.name) stopped half-way under other text; restore central from the "
                    + "snapshot taken before it, then migrate with one build")
        }
        return try row.get("statements_applied")
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
