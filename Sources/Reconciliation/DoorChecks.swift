import MySQLClient
import SyncWire

// The checks of the doors: the admissions central holds against the tickets nodes sold and refunded.

extension Checks {
    /// The admissions of a ticket as a detail lists them: node, gate, scanner and time each.
    static let admissionPlaces = """
        GROUP_CONCAT(CONCAT(a.node_id, IF(a.gate = '', '', CONCAT(' gate ', a.gate)),
                            IF(a.source = 'scanner', CONCAT(' (scanner', IF(a.scanner IS NULL, '', CONCAT(' ', a.scanner)), ')'), ''),
                            ' at ', a.admitted_at)
                     ORDER BY a.admitted_at SEPARATOR '; ') AS places
        """

    /// ` AND a.event_id = ?` for a run over one event.
    private var admissionEvent: (sql: String, arguments: [any SQLValueConvertible]) {
        scope.eventID.map { (" AND a.event_id = ?", [$0]) } ?? ("", [])
    }

    /// Tickets with more than one admission (``DiscrepancyClass/ticketAdmittedTwice``): read in
    /// the order of `ticket_admission`'s key, grouped by ticket; a run from the watermark looks
    /// only at the tickets with an admission received since.
    func ticketsAdmittedTwice() throws -> [Finding] {
        var sql = """
            SELECT a.ticket_code, MIN(a.event_id) AS event_id, MIN(t.node_id) AS sold_by, COUNT(*) AS admissions,
                   MAX(a.admitted_at) AS last_at, \(Self.admissionPlaces)
            FROM ticket_admission a LEFT JOIN ticket t ON t.code = a.ticket_code
            WHERE 1 = 1\(admissionEvent.sql)
            """
        var arguments = admissionEvent.arguments
        if let since = scope.since {
            sql += " AND a.ticket_code IN (SELECT ticket_code FROM ticket_admission WHERE received_at >= ?)"
            arguments.append(since.sqlText)
        }
        sql += " GROUP BY a.ticket_code HAVING COUNT(*) > 1"
        return try connection.rows(sql, arguments).map { row in
            let twice = try row.decode(AdmittedTwice.self)
            return Finding(
                key: "ticket_admitted_twice/\(twice.ticketCode)", kind: .ticketAdmittedTwice, eventID: twice.eventID,
                nodeID: twice.soldBy, entityID: twice.ticketCode, occurredAt: twice.lastAt,
                detail:
                    "ticket \(twice.ticketCode) of \(twice.eventID)\(twice.soldBy.map { " (sold by \($0))" } ?? "") "
                    + "let in \(twice.admissions) times: \(twice.places)",
                refund: nil)
        }
    }

    /// Admissions of tickets no node reported selling (``DiscrepancyClass/admittedUnknownTicket``),
    /// one finding per ticket; a run from the watermark looks at the admissions received since.
    func admissionsOfUnknownTickets() throws -> [Finding] {
        var sql = """
            SELECT a.ticket_code, MIN(a.event_id) AS event_id, MIN(a.node_id) AS node_id, MAX(a.admitted_at) AS last_at,
                   \(Self.admissionPlaces)
            FROM ticket_admission a
            WHERE NOT EXISTS (SELECT 1 FROM ticket t WHERE t.code = a.ticket_code)\(admissionEvent.sql)
            """
        var arguments = admissionEvent.arguments
        if let since = scope.since {
            sql += " AND a.received_at >= ?"
            arguments.append(since.sqlText)
        }
        sql += " GROUP BY a.ticket_code"
        return try connection.rows(sql, arguments).map { row in
            let unknown = try row.decode(UnknownAdmission.self)
            return Finding(
                key: "admitted_unknown_ticket/\(unknown.ticketCode)", kind: .admittedUnknownTicket,
                eventID: unknown.eventID, nodeID: unknown.nodeID, entityID: unknown.ticketCode,
                occurredAt: unknown.lastAt,
                detail:
                    "ticket \(unknown.ticketCode) of \(unknown.eventID) let in (\(unknown.places)), but no node "
                    + "reported selling it: a code signed with a stolen key, or a sale its node has not pushed yet",
                refund: nil)
        }
    }

    /// Tickets let in and refunded at the counter (``DiscrepancyClass/admittedAndRefunded``): an
    /// admission at another node's door before the seller heard of it, or a refund before the
    /// door heard of it. Refunds of a cancelled event, or ordered by head office, are meant to
    /// reach people already inside and are left out. Read from the counter refunds, which are
    /// few; a run from the watermark looks at refunds or admissions received since.
    func admittedAndRefunded() throws -> [Finding] {
        var sql = """
            SELECT rt.ticket_code, MIN(o.event_id) AS event_id, MIN(r.node_id) AS sold_by, r.id AS refund_id,
                   MIN(r.status) AS refund_status, MIN(r.created_at) AS refunded_at, MAX(a.admitted_at) AS last_at,
                   \(Self.admissionPlaces)
            FROM refund r JOIN refund_ticket rt ON rt.refund_id = r.id
            JOIN ticket_admission a ON a.ticket_code = rt.ticket_code JOIN orders o ON o.id = r.order_id
            WHERE r.origin = ? AND r.status IN (?, ?)
            """
        var arguments: [any SQLValueConvertible] = [RefundOrigin.counter, RefundStatus.pending, RefundStatus.completed]
        if let eventID = scope.eventID {
            sql += " AND o.event_id = ?"
            arguments.append(eventID)
        }
        if let since = scope.since {
            sql += " AND (COALESCE(r.received_at, r.created_at) >= ? OR a.received_at >= ?)"
            arguments += [since.sqlText, since.sqlText]
        }
        sql += " GROUP BY rt.ticket_code, r.id"
        return try connection.rows(sql, arguments).map { row in
            let both = try row.decode(AdmittedRefunded.self)
            let order = both.refundedAt < both.lastAt ? "then let in" : "after it was let in"
            return Finding(
                key: "admitted_and_refunded/\(both.ticketCode)", kind: .admittedAndRefunded, eventID: both.eventID,
                nodeID: both.soldBy, entityID: both.ticketCode, occurredAt: max(both.refundedAt, both.lastAt),
                detail:
                    "ticket \(both.ticketCode) of \(both.eventID) was let in (\(both.places)) and refunded at "
                    + "\(both.soldBy) (refund \(both.refundID), \(both.refundStatus), at \(both.refundedAt.sqlText), "
                    + "\(order) by the nodes' clocks): the holder is inside with the money back",
                refund: nil)
        }
    }
}

/// A ticket let in more than once.
private struct AdmittedTwice: Decodable {
    let ticketCode: String
    let eventID: String
    let soldBy: String?
    let admissions: Int
    let lastAt: Timestamp
    let places: String
}

/// The admissions of a ticket central holds no sale of.
private struct UnknownAdmission: Decodable {
    let ticketCode: String
    let eventID: String
    let nodeID: String
    let lastAt: Timestamp
    let places: String
}

/// A ticket let in and refunded at the counter.
private struct AdmittedRefunded: Decodable {
    let ticketCode: String
    let eventID: String
    let soldBy: String
    let refundID: String
    let refundStatus: String
    let refundedAt: Timestamp
    let lastAt: Timestamp
    let places: String
}
