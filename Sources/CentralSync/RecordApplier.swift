import MySQLClient
import SyncWire

/// Applies one node record to central's tables, inside the push transaction.
///
/// Records are facts: a sale that happened offline happened, so nothing here refuses a domain
/// record. What allocation could not prevent (a seat sold by two nodes, a sale for an event
/// cancelled centrally) is recorded in `sync_conflict` for reconciliation. Statements are
/// idempotent (`ON DUPLICATE KEY UPDATE` with bound values, never `VALUES()`), which keeps them
/// portable between MariaDB and MySQL 8.
struct RecordApplier {
    let connection: MySQLConnection
    let nodeID: String
    let now: Timestamp

    /// Throws a data error for a record that can never be applied (unknown type, malformed
    /// payload, a value too long for its column), any other error for a failure to retry.
    func apply(_ record: OutboxRecord) throws {
        guard let type = SyncRecordType(rawValue: record.type) else {
            throw UnappliableRecord(
                reason: "unknown record type '\(SyncLimits.clip(record.type, to: 60))' (a newer node?)")
        }
        switch type {
        case .orderPlaced: try orderPlaced(try JSONText.decode(OrderPlacedRecord.self, from: record.payload))
        case .refundQueued, .refundCompleted: try refund(try JSONText.decode(RefundRecord.self, from: record.payload))
        case .ticketCheckedIn: try checkIn(try JSONText.decode(CheckInRecord.self, from: record.payload))
        case .eventStatusChanged:
            try eventStatus(try JSONText.decode(EventStatusRecord.self, from: record.payload), seq: record.seq)
        case .allocationAccepted, .allocationRejected:
            try AllocationAnswers(connection: connection, applier: self).apply(
                try JSONText.decode(AllocationResponseRecord.self, from: record.payload),
                now: now)
        case .signingKeyPublished:
            try DoorFeed(connection: connection).keyPublished(
                try JSONText.decode(SigningKeyRecord.self, from: record.payload), nodeID: nodeID, now: now)
        }
    }

    private func orderPlaced(_ order: OrderPlacedRecord) throws {
        try OrderBatch(connection: connection, nodeID: nodeID, now: now).apply([order])
    }

    private func refund(_ refund: RefundRecord) throws {
        let previous: RefundStatus? = try connection.scalar(
            "SELECT status FROM refund WHERE id = ? FOR UPDATE", [refund.refundID])
        if previous == nil {
            try connection.execute(
                """
                INSERT INTO refund (id, order_id, payment_id, node_id, amount_minor, currency, reason, origin, status, created_at, completed_at,
                                    received_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """,
                [
                    refund.refundID, refund.orderID, refund.paymentID, nodeID, refund.amountMinor, refund.currency,
                    refund.reason, refund.origin, refund.status, refund.createdAt.sqlText, refund.completedAt?.sqlText,
                    now.sqlText,
                ])
            for code in refund.ticketCodes {
                try connection.execute(
                    "INSERT INTO refund_ticket (refund_id, ticket_code) VALUES (?, ?) ON DUPLICATE KEY UPDATE refund_id = refund_id",
                    [refund.refundID, code])
            }
        } else if previous != refund.status {
            try connection.execute(
                "UPDATE refund SET status = ?, completed_at = ? WHERE id = ?",
                [refund.status, refund.completedAt?.sqlText, refund.refundID])
        }
        let completedNow = refund.status == .completed && previous != .completed
        let ticketStatus: TicketStatus = refund.status == .completed ? .refunded : .void
        for code in refund.ticketCodes {
            try connection.execute(
                "UPDATE ticket SET status = ? WHERE code = ? AND status <> 'refunded'", [ticketStatus, code])
        }
        if completedNow {
            // `status` first, from the old amount: MySQL applies SET assignments left to right, the
            // SQL standard all at once; in this order both give the same result.
            try connection.execute(
                """
                UPDATE payment SET status = CASE WHEN refunded_minor + ? >= amount_minor THEN 'refunded' ELSE 'partially_refunded' END,
                    refunded_minor = refunded_minor + ?
                WHERE id = ?
                """, [refund.amountMinor, refund.amountMinor, refund.paymentID])
        }
        try connection.execute(
            OrderStatusRule.updateSQL, [refund.orderID, refund.orderID, refund.orderID, refund.orderID])
        try DoorFeed(connection: connection).revoked(refund, nodeID: nodeID, now: now)
    }

    private func checkIn(_ checkIn: CheckInRecord) throws {
        try connection.execute(
            "UPDATE ticket SET status = 'checked_in', checked_in_at = ? WHERE code = ?",
            [checkIn.checkedInAt.sqlText, checkIn.ticketCode])
        try DoorFeed(connection: connection).admitted(checkIn, now: now)
    }

    /// A node changed an event's status: central follows, and tells every node, when every change
    /// of the status since the version the node changed it over is this node's own (none, or the
    /// earlier changes it made before it pulled them back). A change over a version someone else
    /// has moved past since crosses their decision, which stands and reaches the node by its pull.
    /// A change over a version above central's (central restored from a backup) is taken, under a
    /// version above the node's; one above any central can have made (``CentralVersion/isPlausible(_:at:)``)
    /// is parked.
    /// A cancellation is taken whatever its version: the node has voided the tickets and queued
    /// the refunds. A record without a version (a protocol 2 node) is taken over any, as that
    /// protocol did, except one of actor `central`: a protocol 2 node applying central's own change
    /// wrote it, and it is no decision. A record with a version is judged by it, whatever its actor.
    private func eventStatus(_ change: EventStatusRecord, seq: Int64) throws {
        guard change.fromVersion != nil || change.actor != "central",
            let current = try connection.row(
                "SELECT status, status_version FROM event WHERE id = ? FOR UPDATE", [change.eventID])?.decode(
                    EventStatusRow.self),
            current.status != change.status, current.status != .cancelled
        else { return }
        var previous = current.statusVersion
        if let from = change.fromVersion, from > current.statusVersion {
            // Central is behind the node: restored from a backup, it lost the versions since. No
            // one can have changed the status over a version central does not know of.
            if CentralVersion.isPlausible(from, at: now) {
                previous = from
            } else if change.status != .cancelled {
                throw UnappliableRecord(
                    reason: "from_version \(from) of \(change.eventID) is beyond any version central can have "
                        + "handed out (its clock \(now) plus a day)")
            }
        } else if change.status != .cancelled, let from = change.fromVersion, from != current.statusVersion {
            guard try continuesOwnChanges(change.eventID, over: from, current: current.statusVersion) else { return }
        }
        // Above the node's version too, so that the node and every node holding it apply the change.
        try EventStatusPublisher(connection: connection).publish(
            change.eventID, status: change.status, reason: change.reason, after: previous,
            origin: change.fromVersion.map { EventStatusOrigin(nodeID: nodeID, seq: seq, fromVersion: $0) })
    }

    /// True when the event's status at version `current` was taken from this node's record made
    /// over `from` or an older version. That record was itself taken only when every change since
    /// its own version was this node's, so every change since `from` is this node's. The newest
    /// `event.status` change of the event is the one at `current`, except when this transaction's
    /// snapshot predates another writer's change (only the event's row is read locked) or the log
    /// lost it to a restore: then the versions differ, and the answer is false.
    private func continuesOwnChanges(_ eventID: String, over from: Int64, current: Int64) throws -> Bool {
        // Reads back from the newest change to the event's newest status change, one the node had
        // not pulled when it made its own: the changes published since then.
        guard
            let payload: String = try connection.scalar(
                "SELECT payload FROM change_log WHERE change_type = ? AND entity_id = ? ORDER BY seq DESC LIMIT 1",
                [ChangeType.eventStatus.rawValue, eventID])
        else { return false }
        let newest = try JSONText.decode(EventStatusChange.self, from: payload)
        guard newest.version == current, let origin = newest.origin else { return false }
        return origin.nodeID == nodeID && origin.fromVersion <= from
    }

    /// Records what allocation could not prevent, once per kind and entity, for reconciliation.
    func conflict(_ kind: String, entity: String, detail: String) throws {
        try connection.execute(
            """
            INSERT INTO sync_conflict (kind, node_id, entity_id, detail, created_at) VALUES (?, ?, ?, ?, ?)
            ON DUPLICATE KEY UPDATE id = id
            """, [kind, nodeID, entity, SyncLimits.clip(detail, to: 1000), now.sqlText])
    }
}
