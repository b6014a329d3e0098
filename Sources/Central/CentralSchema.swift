/// The central database's schema: `SyncProtocol/mysql/NNN_name.sql`, embedded at build time.
public enum CentralSchema {
    /// The migrations in order.
    public static var migrations: [(name: String, sql: String)] {
        EmbeddedCentralSchema.files.map { ($0.name, $0.text) }
    }

    /// The migration that makes central's identity (`009_protocol_3`): a schema at or past it has one.
    public static let identityMigration = 9
}
