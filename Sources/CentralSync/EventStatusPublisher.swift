import MySQLClient
import SyncWire

/// Sets an event's status at central and publishes it to every node. Head office's own changes
/// (`central event …`) and the node decisions a push carries both go through here, so every status
/// central holds has a version and a change in the feed.
package struct EventStatusPublisher {
    let connection: MySQLConnection

    package init(connection: MySQLConnection) { self.connection = connection }

    /// Sets the status under a new version (``CentralVersion``) inside the caller's transaction (the
    /// event's row locked); `origin` names the node record it was taken from, none when central
    /// decided it.
    package func publish(
        _ eventID: String, status: EventStatus, reason: String?, after previous: Int64,
        origin: EventStatusOrigin? = nil
    ) throws {
        let now = try CentralClock.timestamp(try connection.scalar("SELECT NOW(3)") ?? "")
        let version = CentralVersion.next(after: previous, now: now)
        try connection.execute(
            "UPDATE event SET status = ?, status_version = ?, updated_at = ? WHERE id = ?",
            [status, version, now.sqlText, eventID])
        try ChangeFeed(connection: connection).append(
            .eventStatus, entityID: eventID, node: nil,
            payload: try JSONText.encode(
                EventStatusChange(eventID: eventID, status: status, reason: reason, version: version, origin: origin)),
            now: now)
    }
}

/// An event's status and its version.
package struct EventStatusRow: Decodable {
    package let status: EventStatus
    package let statusVersion: Int64
}
