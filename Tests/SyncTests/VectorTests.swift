import Central
import EdgeStore
import Foundation
import MySQLClient
import SyncWire
import TestSupport
import Testing

@testable import Ticketing

/// The conformance vectors of SyncProtocol/vectors, on both sides.
@Suite struct VectorTests {
    static func vectors(_ file: String) throws -> [[String: Any]] {
        try RowExpectation.vectorFile(file)["vectors"] as! [[String: Any]]
    }

    /// Central: each record, pushed in order, leaves exactly the rows the vector lists.
    @Test func centralAppliesEveryRecordVector() throws {
        let world = try SyncWorld(importFixture: false)
        let catalog = try #require(try Self.vectors("changes.json").first?["change"] as? [String: Any])
        var reference = try #require(catalog["payload"] as? [String: Any])
        reference["allocations"] = [["node": "VEC-1", "event": "VEC-SHOW", "category": "GA", "quota": 10]]
        let file = world.directory.file("vector-catalog.json")
        try RowExpectation.json(reference).write(toFile: file, atomically: true, encoding: .utf8)
        _ = try CentralCatalog(connection: world.central).importReference(file: file, now: world.clock.now())
        // Central numbers proposals from its clock; the vectors name the pending one version 1.
        try world.central.execute("UPDATE allocation SET proposed_version = 1 WHERE node_id = 'VEC-1'")
        let receiver = PushReceiver(connection: world.central)
        for vector in try Self.vectors("records.json") {
            if let status = vector["central_status"] as? [String: Any] {
                _ = try CentralCatalog(connection: world.central).changeStatus(
                    status["event_id"] as! String, to: EventStatus(rawValue: status["status"] as! String)!,
                    reason: nil, now: world.clock.now())
            }
            if let version = vector["central_status_version"] as? [String: Any] {
                try world.central.execute(
                    "UPDATE event SET status_version = ? WHERE id = ?",
                    [(version["version"] as! NSNumber).int64Value, version["event_id"] as! String])
            }
            let changesBefore: Int64 = try world.central.scalar("SELECT COALESCE(MAX(seq), 0) FROM change_log") ?? 0
            let record = try #require(vector["record"] as? [String: Any])
            let outbox = OutboxRecord(
                seq: (record["seq"] as! NSNumber).int64Value, type: record["type"] as! String,
                entityID: record["entity_id"] as! String, payload: RowExpectation.json(record["payload"]!),
                createdAt: Timestamp(iso8601: record["created_at"] as! String)!)
            _ = try receiver.apply(
                PushBatch(
                    nodeID: vector["node"] as? String ?? "VEC-1", records: [outbox], outboxPendingAfter: 0,
                    oldestPendingAt: nil, pullCursor: 0, sentAt: world.clock.now()))
            for (table, rows) in try #require(vector["central_rows"] as? [String: [[String: Any]]]) {
                let keys = table == "allocation" ? ["event_id", "category_code", "node_id"] : nil
                let problems = try RowExpectation.mismatches(table: table, expected: rows, keyColumns: keys) {
                    sql, arguments in
                    try world.central.row(sql, arguments)
                }
                #expect(problems.isEmpty, "\(vector["name"]!): \(problems)")
            }
            guard let expected = vector["central_changes"] as? [[String: Any]] else { continue }
            let published = try world.central.rows(
                "SELECT change_type, entity_id, payload FROM change_log WHERE seq > ? ORDER BY seq", [changesBefore])
            #expect(published.count == expected.count, "\(vector["name"]!): \(published.count) changes published")
            for (row, change) in zip(published, expected) {
                #expect(try row.get("change_type") == change["type"] as! String, "\(vector["name"]!)")
                #expect(try row.get("entity_id") == change["entity_id"] as! String, "\(vector["name"]!)")
                let payload =
                    try JSONSerialization.jsonObject(with: Data(try row.get("payload", as: String.self).utf8))
                    as! [String: Any]
                if let floor = change["version_above"] as? NSNumber {
                    #expect(
                        ((payload["version"] as? NSNumber)?.int64Value ?? 0) > floor.int64Value,
                        "\(vector["name"]!): version above \(floor)")
                }
                for (key, value) in change where !["type", "entity_id", "version_above"].contains(key) {
                    if value is [String: Any] {
                        #expect(
                            RowExpectation.json(payload[key] ?? NSNull()) == RowExpectation.json(value),
                            "\(vector["name"]!): \(key)")
                    } else {
                        #expect(
                            RowExpectation.value(payload[key]) == RowExpectation.value(value),
                            "\(vector["name"]!): \(key)")
                    }
                }
                if change["type"] as? String == ChangeType.eventStatus.rawValue {
                    let version = (payload["version"] as? NSNumber)?.int64Value ?? 0
                    #expect(
                        CentralVersion.isIssuable(version), "\(vector["name"]!): a status change carries its version")
                }
            }
        }
    }

    /// Node: each change, pulled in order, leaves exactly the rows and outbox records the vector lists.
    @Test func nodeAppliesEveryChangeVector() throws {
        let directory = TemporaryDirectory()
        let path = directory.file("vec.sqlite")
        _ = try VenueNode.initialize(path: path, nodeID: "VEC-1", adminName: "root", password: "root-password")
        let node = try VenueNode.open(path: path)
        let supervisor = Operator(id: try node.database.scalar("SELECT id FROM staff")!, name: "sue", role: .supervisor)
        for vector in try Self.vectors("changes.json") {
            for status in vector["node_status"] as? [[String: Any]] ?? [] {
                _ = try node.catalog.changeStatus(
                    status["event_id"] as! String, to: EventStatus(rawValue: status["status"] as! String)!,
                    reason: nil, by: supervisor)
            }
            let change = try #require(vector["change"] as? [String: Any])
            let outboxBefore: Int64 = try node.database.scalar("SELECT coalesce(max(seq), 0) FROM sync_outbox") ?? 0
            try node.sync.apply(
                Change(
                    seq: (change["seq"] as! NSNumber).int64Value, type: change["type"] as! String,
                    entityID: change["entity_id"] as! String, payload: RowExpectation.json(change["payload"]!),
                    createdAt: (change["created_at"] as? String).flatMap(Timestamp.init(iso8601:))))
            #expect(try node.sync.pullCursor() == (change["seq"] as! NSNumber).int64Value)
            for (table, rows) in try #require(vector["node_rows"] as? [String: [[String: Any]]]) {
                let keys = table == "allocation" ? ["event_id", "category_code"] : nil
                let problems = try RowExpectation.mismatches(table: table, expected: rows, keyColumns: keys) {
                    sql, arguments in
                    try node.database.row(sql, arguments)
                }
                #expect(problems.isEmpty, "\(vector["name"]!): \(problems)")
            }
            let written = try node.database.rows(
                "SELECT record_type, payload FROM sync_outbox WHERE seq > ? ORDER BY seq", [outboxBefore])
            let expected = try #require(vector["outbox"] as? [[String: Any]])
            #expect(written.count == expected.count, "\(vector["name"]!): \(written.count) outbox records")
            for (row, record) in zip(written, expected) {
                #expect(try row.get("record_type") == record["type"] as! String)
                let payload =
                    try JSONSerialization.jsonObject(with: Data(try row.get("payload", as: String.self).utf8))
                    as! [String: Any]
                for (key, value) in record["payload"] as! [String: Any] {
                    if value is [String: Any] {
                        #expect(
                            RowExpectation.json(payload[key] ?? NSNull()) == RowExpectation.json(value),
                            "\(vector["name"]!): \(key)")
                    } else {
                        #expect(
                            RowExpectation.value(payload[key]) == RowExpectation.value(value),
                            "\(vector["name"]!): \(key)")
                    }
                }
            }
        }
    }

    /// The node writes records of exactly the vectors' shape (same keys), and the wire types
    /// read every vector payload and write it back unchanged.
    @Test func nodeRecordsHaveTheVectorsShape() throws {
        let directory = TemporaryDirectory()
        let path = directory.file("vec.sqlite")
        _ = try VenueNode.initialize(path: path, nodeID: "VEC-1", adminName: "root", password: "root-password")
        let node = try VenueNode.open(path: path)
        for vector in try Self.vectors("changes.json").prefix(3) {
            let change = vector["change"] as! [String: Any]
            try node.sync.apply(
                Change(
                    seq: (change["seq"] as! NSNumber).int64Value, type: change["type"] as! String,
                    entityID: change["entity_id"] as! String, payload: RowExpectation.json(change["payload"]!)))
        }
        let admin = Operator(id: try node.database.scalar("SELECT id FROM staff")!, name: "root", role: .admin)
        let seated = try node.sales.sell(
            SaleRequest(
                eventID: "VEC-SHOW", categoryCode: "MAIN", selection: .quantity(2),
                payment: PaymentRequest(method: .card, reference: "T-1"),
                customer: CustomerDetails(email: "ana@example.org", name: "Ana")), by: admin)
        _ = try node.door.checkIn(code: seated.tickets[0].code, eventID: seated.eventID, by: admin)
        _ = try node.refunds.refund(
            orderID: seated.orderID, ticketCodes: [seated.tickets[1].code], reason: "cannot come", by: admin)
        let produced = try Dictionary(
            grouping: node.database.rows("SELECT record_type, payload FROM sync_outbox"),
            by: { try $0.get("record_type", as: String.self) })
        for vector in try Self.vectors("records.json") {
            let record = vector["record"] as! [String: Any]
            let type = record["type"] as! String
            let payload = record["payload"] as! [String: Any]
            if let mine = produced[type]?.first {
                let keys = Set(
                    (try JSONSerialization.jsonObject(with: Data(try mine.get("payload", as: String.self).utf8))
                        as! [String: Any]).keys)
                // Optional keys: absent when they have no value (`seats_digest` of a GA answer).
                let optional: Set = ["hold_id", "reason", "completed_at", "gate", "source", "scanner", "seats_digest"]
                #expect(
                    keys.subtracting(optional) == Set(payload.keys).subtracting(optional),
                    "\(type): node writes \(keys.sorted()), vector has \(payload.keys.sorted())")
            }
            let text = RowExpectation.json(payload)
            // A missing key and an explicit null mean the same on the wire; the encoder omits nulls.
            let expected = RowExpectation.json(Self.withoutNulls(payload))
            switch SyncRecordType(rawValue: type) {
            case .orderPlaced:
                #expect(try JSONText.encode(try JSONText.decode(OrderPlacedRecord.self, from: text)) == expected)
            case .refundQueued, .refundCompleted:
                #expect(try JSONText.encode(try JSONText.decode(RefundRecord.self, from: text)) == expected)
            case .ticketCheckedIn:
                #expect(try JSONText.encode(try JSONText.decode(CheckInRecord.self, from: text)) == expected)
            case .allocationAccepted, .allocationRejected:
                #expect(try JSONText.encode(try JSONText.decode(AllocationResponseRecord.self, from: text)) == expected)
            case .signingKeyPublished:
                #expect(try JSONText.encode(try JSONText.decode(SigningKeyRecord.self, from: text)) == expected)
            default: break
            }
        }
    }

    static func withoutNulls(_ value: Any) -> Any {
        switch value {
        case let object as [String: Any]: object.filter { !($0.value is NSNull) }.mapValues(withoutNulls)
        case let array as [Any]: array.map(withoutNulls)
        default: value
        }
    }
}
