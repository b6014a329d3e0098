import MySQLClient
import TestSupport
import Testing

/// What a clustered engine (Galera, Group Replication) needs of central's schema, checked on the
/// schema `central migrate` makes: replication keys rows by their primary key, and replicates
/// InnoDB only.
@Suite struct ClusterRequirementsTests {
    @Test func everyCentralTableHasAPrimaryKeyAndIsInnoDB() throws {
        let world = try SyncWorld()
        let tables: [String] = try world.central.rows(
            "SELECT table_name, engine FROM information_schema.tables WHERE table_schema = DATABASE() ORDER BY 1"
        ).map { "\(try $0.get(0, as: String.self)) \(try $0.get(1, as: String.self))" }
        #expect(tables.count >= 20 && tables.allSatisfy { $0.hasSuffix(" InnoDB") }, "\(tables)")
        let withoutKey: [String] = try world.central.rows(
            """
            SELECT t.table_name FROM information_schema.tables t
            WHERE t.table_schema = DATABASE() AND NOT EXISTS (
                SELECT 1 FROM information_schema.table_constraints c
                WHERE c.table_schema = t.table_schema AND c.table_name = t.table_name
                  AND c.constraint_type = 'PRIMARY KEY')
            """
        ).map { try $0.get(0) }
        #expect(withoutKey.isEmpty, "tables without a primary key: \(withoutKey)")
        let elsewhere: Int =
            try world.central.scalar(
                """
                SELECT (SELECT COUNT(*) FROM information_schema.triggers WHERE trigger_schema = DATABASE())
                     + (SELECT COUNT(*) FROM information_schema.routines WHERE routine_schema = DATABASE())
                     + (SELECT COUNT(*) FROM information_schema.events WHERE event_schema = DATABASE())
                """) ?? -1
        #expect(elsewhere == 0, "triggers, routines or events, which replicate differently")
    }
}
