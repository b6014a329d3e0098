import Central
import MySQLClient

/// The daemon's connection to central, opened on first use and dropped when it breaks, so the
/// next cycle reconnects. Checks once per connection that central's schema is this build's.
/// Used from the sync thread only.
final class CentralLink {
    let configuration: MySQLConfiguration
    private var connection: MySQLConnection?

    init(configuration: MySQLConfiguration) { self.configuration = configuration }

    /// Runs `body` on a live connection; a connection-breaking error drops it.
    func withConnection<T>(_ body: (MySQLConnection) throws -> T) throws -> T {
        let live: MySQLConnection
        if let connection {
            live = connection
        } else {
            live = try MySQLConnection(configuration)
            try CentralMigrator(connection: live).requireCurrent()
            connection = live
        }
        do {
            return try body(live)
        } catch let error as MySQLError where error.breaksConnection {
            connection = nil
            throw error
        }
    }

    /// Drops the connection (after an error that leaves its state unknown).
    func reset() { connection = nil }
}
