import Central
import EdgeStore
import Foundation
import MySQLClient
import SyncEngine
import SyncWire
import TestSupport
import Testing

@testable import Ticketing

/// The sequence rule's conformance vectors (SyncProtocol/vectors/sequence.json): central answers
/// each push as the vector says, and the node does with each answer what the vector says.
@Suite struct SequenceVectorTests {
    static var vectors: [[String: Any]] {
        try! RowExpectation.vectorFile("sequence.json")["vectors"] as! [[String: Any]]
    }
    static let count = vectors.count

    static func record(_ seq: Int64, differs: Bool) throws -> OutboxRecord {
        let code = (differs ? "X-" : "T-") + String(seq)
        return OutboxRecord(
            seq: seq, type: SyncRecordType.ticketCheckedIn.rawValue, entityID: code,
            payload: try JSONText.encode(
                CheckInRecord(
                    ticketCode: code, orderID: "ord", eventID: "EV", nodeID: "SEQ-1",
                    checkedInAt: Timestamp(milliseconds: 1_900_000_000_000), actor: "door")),
            createdAt: Timestamp(milliseconds: 1_900_000_000_000))
    }

    static func numbers(_ value: Any?) -> [Int64] { (value as? [NSNumber] ?? []).map(\.int64Value) }

    @Test(arguments: 0..<count)
    func centralAnswersAsTheVectorSays(index: Int) throws {
        let vector = Self.vectors[index]
        let name = vector["name"] as! String
        let central = vector["central"] as! [String: Any]
        let push = vector["push"] as! [String: Any]
        let answer = vector["answer"] as! [String: Any]
        let world = try SyncWorld(importFixture: false)
        let held = Self.numbers(central["held"])
        if let epoch = central["epoch"] as? NSNumber {
            try world.central.execute(
                """
                INSERT INTO node (id, epoch, acknowledged_seq, records_applied, created_at) VALUES ('SEQ-1', ?, ?, ?, NOW(3))
                """, [epoch.int64Value, held.max() ?? 0, held.count])
            for seq in held {
                let record = try Self.record(seq, differs: false)
                try world.central.execute(
                    """
                    INSERT INTO sync_inbox (node_id, epoch, seq, record_type, entity_id, status, payload, created_at, received_at)
                    VALUES ('SEQ-1', ?, ?, ?, ?, 'applied', ?, NOW(3), NOW(3))
                    """, [epoch.int64Value, seq, record.type, record.entityID, record.payload])
            }
        }
        let differ = Set(Self.numbers(push["differ"]))
        let result = try PushReceiver(connection: world.central).apply(
            PushBatch(
                nodeID: "SEQ-1", epoch: (push["epoch"] as! NSNumber).int64Value,
                records: try Self.numbers(push["seqs"]).map { try Self.record($0, differs: differ.contains($0)) },
                lastSeq: (push["last_seq"] as! NSNumber).int64Value, outboxPendingAfter: 0, oldestPendingAt: nil,
                pullCursor: 0,
                sentAt: world.clock.now()))
        #expect(result.outcome.rawValue == answer["outcome"] as? String, "\(name)")
        #expect(result.acknowledgedSeq == (answer["acknowledged_seq"] as! NSNumber).int64Value, "\(name)")
        #expect(result.centralEpoch == (answer["central_epoch"] as! NSNumber).int64Value, "\(name)")
        #expect(result.applied == answer["applied"] as? Int && result.skipped == answer["skipped"] as? Int, "\(name)")
        #expect(result.divergedAt == (answer["diverged_at"] as? NSNumber)?.int64Value, "\(name)")
    }

    @Test(arguments: 0..<count)
    func theNodeDoesWithEachAnswerWhatTheVectorSays(index: Int) throws {
        let vector = Self.vectors[index]
        let name = vector["name"] as! String
        let push = vector["push"] as! [String: Any]
        let answer = vector["answer"] as! [String: Any]
        let then = vector["node_then"] as! [String: Any]
        let directory = TemporaryDirectory()
        let path = directory.file("node.sqlite")
        _ = try VenueNode.initialize(path: path, nodeID: "SEQ-1", adminName: "root", password: "root-password")
        let node = try VenueNode.open(path: path)
        // The outbox holds the vector's records only, not the signing key `init` published.
        try node.database.execute("DELETE FROM sync_outbox")
        let sent = Self.numbers(push["seqs"])
        let last = (push["last_seq"] as! NSNumber).int64Value
        let holds = sent.isEmpty ? Array(1...last) : Array(Set(1..<sent.first!).union(sent)).sorted()
        for seq in holds {
            let record = try Self.record(seq, differs: false)
            try node.database.execute(
                "INSERT INTO sync_outbox (seq, record_type, entity_id, payload, created_at) VALUES (?, ?, ?, ?, ?)",
                [seq, record.type, record.entityID, record.payload, record.createdAt.milliseconds])
        }
        try node.database.execute(
            "INSERT INTO sync_state (key, value) VALUES ('push_acknowledged_seq', ?), ('epoch', ?)",
            [String(sent.first.map { $0 - 1 } ?? last), String((push["epoch"] as! NSNumber).int64Value)])
        let scripted = ScriptedCentral(
            answer: PushResult(
                outcome: PushResult.Outcome(rawValue: answer["outcome"] as! String)!,
                acknowledgedSeq: (answer["acknowledged_seq"] as! NSNumber).int64Value,
                centralEpoch: (answer["central_epoch"] as! NSNumber).int64Value, applied: answer["applied"] as! Int,
                parked: 0,
                skipped: answer["skipped"] as! Int, centralTime: SystemWallClock().now(),
                divergedAt: (answer["diverged_at"] as? NSNumber)?.int64Value))
        let report = SyncEngine(node: node, central: scripted, batchSize: 100).cycle()
        if let acknowledged = then["acknowledged_seq"] as? NSNumber {
            #expect(try node.sync.status().acknowledgedSeq == acknowledged.int64Value, "\(name)")
        }
        if let from = then["resends_from"] as? NSNumber {
            #expect(scripted.batches.count == 2 && scripted.batches[1].records.first?.seq == from.int64Value, "\(name)")
        }
        if let fork = then["takes_back_after"] as? NSNumber {
            #expect(try node.sync.recoveryFork() == fork.int64Value, "\(name)")
            #expect(throws: TicketingError.self, "\(name): a node that must take facts back does not sell") {
                try node.sales.sell(
                    SaleRequest(
                        eventID: "EV", categoryCode: "GA", selection: .quantity(1),
                        payment: PaymentRequest(method: .cash)),
                    by: Operator(id: "x", name: "root", role: .admin))
            }
        }
        if let stops = then["stops"] as? String {
            #expect(report.mode == .nodeError && report.cause == stops, "\(name)")
        }
    }
}

/// Central as the vectors script it: the first push gets the vector's answer; everything after
/// (a re-send, a take-back) finds central unreachable, which ends the cycle where the vector stops.
final class ScriptedCentral: CentralEndpoint {
    let answer: PushResult
    private(set) var batches = [PushBatch]()

    init(answer: PushResult) { self.answer = answer }

    var expectedIdentity: String?
    func identity() throws -> String { "00000000-0000-0000-0000-00000000000a" }

    private var unreachable: SyncFailure {
        SyncFailure(mode: .unreachable, cause: "scripted", message: "the vector ends here")
    }

    func push(_ batch: PushBatch) throws -> PushResult {
        batches.append(batch)
        guard batches.count == 1 else { throw unreachable }
        return answer
    }

    func changes(after seq: Int64, node: String, limit: Int) throws -> ChangePage {
        ChangePage(changes: [], anchor: nil)
    }
    func heldRecords(node: String, after seq: Int64, limit: Int) throws -> HeldRecords { throw unreachable }
    func parkedCount(node: String) throws -> Int { 0 }
}
