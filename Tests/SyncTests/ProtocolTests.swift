import Central
import Foundation
import MySQLClient
import SyncWire
import TestSupport
import Testing

@testable import Ticketing

@Suite struct PushProtocolTests {
    @Test func replayingABatchChangesNothing() throws {
        let world = try SyncWorld()
        let node = try world.makeNode("NODE-A")
        try node.node.sync.apply(
            contentsOf: try ChangeFeed(connection: world.central).changes(after: 0, node: "NODE-A", limit: 100).changes)
        for _ in 0..<5 { try node.sell("BIG", "FLOOR") }
        let batch = try node.node.sync.pendingBatch(limit: 100)
        let receiver = PushReceiver(connection: world.central)
        let first = try receiver.apply(batch)
        let before = try world.centralTotals()
        let again = try receiver.apply(batch)
        #expect(first.applied == batch.records.count && first.acknowledgedSeq == batch.records.last!.seq)
        #expect(
            again.applied == 0 && again.skipped == batch.records.count && again.acknowledgedSeq == first.acknowledgedSeq
        )
        #expect(try world.centralTotals() == before)
        #expect(
            try world.central.scalar("SELECT COUNT(*) FROM sync_inbox WHERE node_id = 'NODE-A'") == batch.records.count)
    }

    @Test func aRecordCentralCanNeverApplyIsParkedAndTheRestFlows() throws {
        let world = try SyncWorld()
        let good = OutboxRecord(
            seq: 1, type: "ticket.checked_in", entityID: "X", payload: "{\"bad json", createdAt: world.clock.now())
        let unknown = OutboxRecord(
            seq: 2, type: "gift_card.sold", entityID: "G", payload: "{}", createdAt: world.clock.now())
        let fine = OutboxRecord(
            seq: 3, type: "event.status_changed", entityID: "SMALL",
            payload: try JSONText.encode(
                EventStatusRecord(
                    eventID: "SMALL", nodeID: "NODE-A", status: .closed, reason: nil, changedAt: world.clock.now(),
                    actor: "sue")),
            createdAt: world.clock.now())
        let result = try PushReceiver(connection: world.central).apply(
            PushBatch(
                nodeID: "NODE-A", records: [good, unknown, fine], outboxPendingAfter: 0, oldestPendingAt: nil,
                pullCursor: 0,
                sentAt: world.clock.now()))
        #expect(result.parked == 2 && result.applied == 1 && result.acknowledgedSeq == 3)
        #expect(try world.central.scalar("SELECT status FROM event WHERE id = 'SMALL'") == "closed")
        let parked = try NodesReport(connection: world.central).parked(node: "NODE-A")
        #expect(parked.map(\.seq) == [1, 2] && parked.allSatisfy { !$0.error.isEmpty })
        #expect(try NodesReport(connection: world.central).nodes(now: world.clock.now()).first?.recordsParked == 2)
    }

    @Test func aSeatSoldByTwoNodesIsRecordedAsAConflictNotOverwritten() throws {
        let world = try SyncWorld()
        let receiver = PushReceiver(connection: world.central)
        func order(_ id: String, node: String, code: String) throws -> OutboxRecord {
            OutboxRecord(
                seq: 1, type: "order.placed", entityID: id,
                payload: try JSONText.encode(
                    OrderPlacedRecord(
                        orderID: id, nodeID: node, eventID: "SEATED", categoryCode: "MAIN", idempotencyKey: "k-\(id)",
                        holdID: nil, customer: nil,
                        tickets: [.init(code: code, seat: "MAIN-A-1", priceMinor: 5000)], totalMinor: 5000,
                        currency: "EUR",
                        payment: .init(
                            id: "pay-\(id)", method: .cash, amountMinor: 5000, tenderedMinor: 5000, changeMinor: 0,
                            reference: nil),
                        createdAt: world.clock.now(), createdBy: "x")), createdAt: world.clock.now())
        }
        for (id, node, code) in [("o1", "NODE-A", "C001"), ("o2", "NODE-B", "C002")] {
            _ = try receiver.apply(
                PushBatch(
                    nodeID: node, records: [try order(id, node: node, code: code)], outboxPendingAfter: 0,
                    oldestPendingAt: nil, pullCursor: 0, sentAt: world.clock.now()))
        }
        #expect(
            try world.central.scalar("SELECT COUNT(*) FROM ticket WHERE seat_label = 'MAIN-A-1' AND status = 'valid'")
                == 2)
        #expect(
            try world.central.scalar("SELECT kind FROM sync_conflict WHERE entity_id = 'SEATED/MAIN-A-1'")
                == "seat_double_sold")
    }
}

@Suite struct PullOrderingTests {
    /// Writers append changes in transactions that sleep at random while holding them; a reader
    /// pulls `seq > cursor` all along. It must see every change, in order, with no gap: a change
    /// that commits late must not be skipped (which AUTO_INCREMENT ids would allow).
    @Test func concurrentCentralWritersNeverMakePullSkipAChange() throws {
        let world = try SyncWorld(importFixture: false)
        let configuration = try world.configuration
        let writers = 6
        let changesEach = 25
        let failures = Failures()
        let done = Flag()
        let seen = Collected()
        let reader = Thread {
            do {
                let connection = try MySQLConnection(configuration)
                var cursor: Int64 = 0
                while true {
                    let finished = done.isSet
                    let changes = try ChangeFeed(connection: connection).changes(
                        after: cursor, node: "NODE-A", limit: 7
                    ).changes
                    for change in changes {
                        seen.append(change.seq)
                        cursor = change.seq
                    }
                    if finished && changes.isEmpty { break }
                }
            } catch {
                failures.record(error)
            }
            done.readerFinished()
        }
        reader.start()
        DispatchQueue.concurrentPerform(iterations: writers) { writer in
            do {
                let connection = try MySQLConnection(configuration)
                for index in 0..<changesEach {
                    try connection.transaction {
                        try ChangeFeed(connection: connection).append(
                            .eventStatus, entityID: "W\(writer)-\(index)", node: nil, payload: "{}",
                            now: SystemWallClock().now())
                        // Held open a random while, so that commits come out of id order: what is
                        // tested, not an ordering of the threads.
                        Thread.sleep(forTimeInterval: Double.random(in: 0...0.004))
                    }
                }
            } catch {
                failures.record(error)
            }
        }
        done.set()
        done.waitForReader()
        #expect(failures.errors.isEmpty, "\(failures.errors)")
        #expect(seen.values == Array(1...Int64(writers * changesEach)))
    }
}

@Suite struct CentralSchemaTests {
    @Test func migrateRecordsChecksumsAndRefusesAnEditedMigration() throws {
        let server = MariaDBSandbox.shared
        let connection = try MySQLConnection(
            MySQLConfiguration(url: try server.freshDatabase(), environment: server.environment))
        let migrator = CentralMigrator(connection: connection)
        #expect(try migrator.status().pending.count == CentralSchema.migrations.count)
        #expect(try migrator.migrate(dryRun: true, now: SystemWallClock().now()).applied.isEmpty)
        #expect(
            try connection.scalar("SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = DATABASE()") == 0
        )
        let report = try migrator.migrate(dryRun: false, now: SystemWallClock().now())
        #expect(report.applied.count == CentralSchema.migrations.count && report.pending.isEmpty)
        #expect(try migrator.migrate(dryRun: false, now: SystemWallClock().now()).applied.isEmpty)
        var edited = CentralSchema.migrations
        edited[0].sql += "\n-- edited after release"
        #expect(throws: CentralError.self) { try CentralMigrator(connection: connection, migrations: edited).status() }
        #expect(throws: CentralError.self) {
            try CentralMigrator(connection: connection, migrations: Array(edited.prefix(1))).status()
        }
    }

    /// A migration that fails half-way (MySQL commits each DDL statement) resumes at the failed
    /// statement once the cause is fixed, instead of running the applied ones again.
    @Test func aMigrationThatFailsHalfWayResumesAtTheFailedStatement() throws {
        let server = MariaDBSandbox.shared
        let connection = try MySQLConnection(
            MySQLConfiguration(url: try server.freshDatabase(), environment: server.environment))
        let migrations = [
            (name: "001_first", sql: "CREATE TABLE first (x INT);\n"),
            (
                name: "002_three_steps",
                sql: "CREATE TABLE a (x INT);\nINSERT INTO b (x) VALUES (1);\nCREATE TABLE c (x INT);\n"
            ),
        ]
        let migrator = CentralMigrator(connection: connection, migrations: migrations)
        let now = SystemWallClock().now()
        do {
            _ = try migrator.migrate(dryRun: false, now: now)
            Issue.record("the migration should have stopped at its second statement")
        } catch let error as CentralError {
            #expect(error.message.hasPrefix("migration 002_three_steps stopped at statement 2 of 3 (INSERT INTO b"))
            #expect(error.message.hasSuffix("run 'central migrate' again to resume there"))
        }
        let stopped = try migrator.status()
        #expect(stopped.version == 1 && stopped.pending == ["002_three_steps"])
        #expect(
            stopped.interrupted.map { [$0.name, String($0.statementsApplied), String($0.statements)] }
                == ["002_three_steps", "1", "3"])
        try connection.execute("CREATE TABLE b (x INT)")
        let resumed = try migrator.migrate(dryRun: false, now: now)
        #expect(resumed.applied == ["002_three_steps"] && resumed.version == 2 && resumed.interrupted == nil)
        #expect(try connection.scalar("SELECT COUNT(*) FROM b") == 1)
        #expect(try connection.scalar("SELECT COUNT(*) FROM schema_migration_progress") == 0)
        #expect(try migrator.status().interrupted == nil)
    }

    /// A database created with the server's latin1 default ends up utf8mb4 throughout.
    @Test func everyTableAndTheDatabaseDefaultAreUTF8MB4() throws {
        let server = MariaDBSandbox.shared
        let name = "central_latin_" + UUID().uuidString.prefix(8).lowercased()
        try server.sql("CREATE DATABASE \(name) CHARACTER SET latin1")
        let url = server.url.replacingOccurrences(of: "/central?", with: "/\(name)?")
        let connection = try MySQLConnection(MySQLConfiguration(url: url, environment: server.environment))
        _ = try CentralMigrator(connection: connection).migrate(dryRun: false, now: SystemWallClock().now())
        #expect(
            try connection.scalar(
                "SELECT DEFAULT_CHARACTER_SET_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = DATABASE()")
                == "utf8mb4")
        let others = try connection.rows(
            """
            SELECT TABLE_NAME, TABLE_COLLATION FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_COLLATION <> 'utf8mb4_bin'
            """)
        #expect(others.isEmpty, "\(others.map(\.values))")
    }

    @Test func everyMigrationRunsUnchangedOnTheServer() throws {
        #expect(
            CentralSchema.migrations.map(\.name) == [
                "001_nodes_and_sync", "002_catalog_and_allocations", "003_sales", "004_reconciliation",
                "005_protocol_2", "006_reconcile_indexes", "007_payments_covered_by_order",
                "008_reconcile_place_counts", "009_protocol_3", "010_protocol_4_door", "011_door_revocations",
                "012_node_retired",
            ])
        for (name, sql) in CentralSchema.migrations {
            let file = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
                .deletingLastPathComponent()
                .appendingPathComponent("SyncProtocol/mysql/\(name).sql")
            #expect(
                try String(contentsOf: file, encoding: .utf8) + "\n" == sql + "\n"
                    || (try String(contentsOf: file, encoding: .utf8)) == sql)
        }
    }
}

@Suite struct AllocationTests {
    @Test func proposalsRespectCategoryAndEventCapacityAndSeatOwnership() throws {
        let world = try SyncWorld()
        let allocations = CentralAllocations(connection: world.central)
        let now = world.clock.now()
        #expect(throws: CentralError.self) {  // NODE-A's proposal is still pending
            try allocations.propose(
                AllocationRequest(eventID: "BIG", categoryCode: "FLOOR", nodeID: "NODE-A", quota: 5), now: now)
        }
        #expect(throws: CentralError.self) {  // 12,000 + 8,000 already counted against 20,000
            try allocations.propose(
                AllocationRequest(eventID: "BIG", categoryCode: "FLOOR", nodeID: "NODE-C", quota: 1), now: now)
        }
        #expect(throws: CentralError.self) {  // MAIN-A belongs to NODE-A
            try allocations.propose(
                AllocationRequest(
                    eventID: "SEATED", categoryCode: "MAIN", nodeID: "NODE-C", seatSelectors: ["MAIN-A-1"]), now: now)
        }
        #expect(throws: CentralError.self) {  // SMALL has an event capacity of 100, all allocated
            try allocations.propose(
                AllocationRequest(eventID: "SMALL", categoryCode: "GA", nodeID: "NODE-C", quota: 1), now: now)
        }
        #expect(throws: CentralError.self) {
            try allocations.propose(
                AllocationRequest(eventID: "NOPE", categoryCode: "GA", nodeID: "NODE-C", quota: 1), now: now)
        }
        #expect(throws: CentralError.invalidInput("SEATED MAIN is seated: allocate it by seats")) {
            try allocations.propose(
                AllocationRequest(eventID: "SEATED", categoryCode: "MAIN", nodeID: "NODE-C", seatSelectors: []),
                now: now)
        }
    }

    @Test func aNodeAcceptsAProposalThatKeepsItsSalesAndRejectsOneThatDoesNot() throws {
        let world = try SyncWorld()
        let node = try world.makeNode("NODE-A")
        #expect(try world.syncOnce(node).status == 0)
        for _ in 0..<30 { try node.sell("SMALL", "GA") }
        let allocations = CentralAllocations(connection: world.central)
        let refused = try allocations.propose(
            AllocationRequest(eventID: "SMALL", categoryCode: "GA", nodeID: "NODE-A", quota: 20), now: world.clock.now()
        )
        #expect(try world.syncOnce(node).status == 0)
        var view = try allocations.list(eventID: "SMALL").first { $0.nodeID == "NODE-A" }!
        #expect(
            view.proposalStatus == .rejected && view.quota == 60 && view.proposalError?.contains("already sold") == true
        )
        #expect(try node.count("SELECT quota FROM allocation WHERE event_id = 'SMALL'") == 60)
        let taken = try allocations.propose(
            AllocationRequest(eventID: "SMALL", categoryCode: "GA", nodeID: "NODE-A", quota: 45), now: world.clock.now()
        )
        #expect(try #require(taken.proposedVersion) > #require(refused.proposedVersion))
        #expect(try world.syncOnce(node).status == 0)
        view = try allocations.list(eventID: "SMALL").first { $0.nodeID == "NODE-A" }!
        #expect(view.proposalStatus == .accepted && view.quota == 45 && view.version == taken.proposedVersion)
        #expect(try node.count("SELECT quota FROM allocation WHERE event_id = 'SMALL'") == 45)
        for _ in 0..<15 { try node.sell("SMALL", "GA") }
        #expect(throws: TicketingError.self) { try node.sell("SMALL", "GA") }
    }
}

/// A flag set once, and the reader thread's end.
final class Flag: @unchecked Sendable {  // state behind `lock`
    private let lock = NSLock()
    private var value = false
    private let finished = DispatchSemaphore(value: 0)
    var isSet: Bool { lock.withLock { value } }
    func set() { lock.withLock { value = true } }
    func readerFinished() { finished.signal() }
    func waitForReader() { finished.wait() }
}

/// Values collected by one thread and read by another.
final class Collected: @unchecked Sendable {  // state behind `lock`
    private let lock = NSLock()
    private var items: [Int64] = []
    func append(_ value: Int64) { lock.withLock { items.append(value) } }
    var values: [Int64] { lock.withLock { items } }
}

extension NodeSync {
    /// Applies changes in order (tests).
    func apply(contentsOf changes: [Change]) throws {
        for change in changes { try apply(change) }
    }
}
