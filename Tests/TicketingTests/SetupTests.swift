import EdgeStore
import Foundation
import SyncWire
import TestSupport
import Testing

@testable import Ticketing

@Suite struct SetupTests {
    @Test func initIsHarmlessTwiceAndRefusesAnotherNode() throws {
        let directory = TemporaryDirectory()
        let path = directory.file("n.sqlite")
        #expect(
            try VenueNode.initialize(path: path, nodeID: "N-1", adminName: "boss", password: "boss-password").created)
        let before = try ProcessRunner.dump(path)
        #expect(
            try !VenueNode.initialize(path: path, nodeID: "N-1", adminName: "boss", password: "other-password").created)
        #expect(try ProcessRunner.dump(path) == before)
        #expect(
            throws: TicketingError.rejected(
                code: "other_node", message: "\(path) belongs to node N-1; refusing to initialise it as N-2")
        ) {
            try VenueNode.initialize(path: path, nodeID: "N-2", adminName: "boss", password: "boss-password")
        }
    }

    @Test func openingRefusesMissingAndUninitialisedFiles() throws {
        let directory = TemporaryDirectory()
        #expect(throws: TicketingError.self) { try VenueNode.open(path: directory.file("none.sqlite")) }
        _ = try Database(path: directory.file("empty.sqlite"))
        #expect(throws: TicketingError.self) { try VenueNode.open(path: directory.file("empty.sqlite")) }
    }

    @Test func migrateWithNothingPendingTakesNoSnapshotAndDryRunChangesNothing() throws {
        let h = try NodeHarness()
        let token = try h.node.users.login(name: "root", password: "root-password").token
        let outcome = try VenueNode.migrate(path: h.path, dryRun: false, sessionToken: token)
        #expect(
            outcome.applied.isEmpty && outcome.snapshot == nil
                && outcome.fromVersion == NodeSchema.migrator.latestVersion)
        #expect(try VenueNode.migrate(path: h.path, dryRun: true).pending.isEmpty)
    }

    /// A cashier, a venue, an on-sale event and its GA category: what an order points at.
    static let orderParents = """
        INSERT INTO staff (id, name, role, created_at, updated_at) VALUES ('usr_1', 'cal', 'cashier', 0, 0);
        INSERT INTO venue (id, name, timezone) VALUES ('V', 'Hall', 'UTC');
        INSERT INTO event (id, venue_id, name, starts_at, status) VALUES ('E', 'V', 'Show', 0, 'on_sale');
        INSERT INTO price_category (event_id, code, name, kind, price_minor, currency, capacity)
            VALUES ('E', 'GA', 'Floor', 'ga', 1000, 'EUR', 10);

        """

    /// Orders and payments made again keyed by id keep every row, and every ticket, refund and
    /// hold still points at them.
    @Test func ordersAndPaymentsRekeyedByIDKeepTheirRowsAndReferences() throws {
        let directory = TemporaryDirectory()
        let db = try Database(path: directory.file("v6.sqlite"))
        try Migrator(Array(NodeSchema.migrator.migrations.prefix(6))).migrate(db)
        try db.executeScript(
            Self.orderParents + """
                INSERT INTO orders (id, idempotency_key, request_fingerprint, event_id, category_code, status, total_minor,
                                    currency, created_at, created_by)
                    VALUES ('ord_1', 'key_1', 'f1', 'E', 'GA', 'partially_refunded', 2000, 'EUR', 5, 'usr_1'),
                           ('ord_2', 'key_2', 'f2', 'E', 'GA', 'confirmed', 1000, 'EUR', 6, 'usr_1');
                INSERT INTO ticket (code, order_id, event_id, category_code, price_minor, status)
                    VALUES ('T1', 'ord_1', 'E', 'GA', 1000, 'refunded'), ('T2', 'ord_1', 'E', 'GA', 1000, 'valid'),
                           ('T3', 'ord_2', 'E', 'GA', 1000, 'valid');
                INSERT INTO payment (id, order_id, method, amount_minor, currency, tendered_minor, change_minor, status,
                                     refunded_minor, created_at)
                    VALUES ('pay_1', 'ord_1', 'cash', 2000, 'EUR', 5000, 3000, 'partially_refunded', 1000, 5),
                           ('pay_2', 'ord_2', 'card', 1000, 'EUR', NULL, NULL, 'captured', 0, 6);
                INSERT INTO refund (id, order_id, payment_id, amount_minor, currency, reason, origin, status, created_at,
                                    created_by)
                    VALUES ('ref_1', 'ord_1', 'pay_1', 1000, 'EUR', 'asked', 'counter', 'completed', 7, 'cal');
                INSERT INTO refund_ticket (refund_id, ticket_code) VALUES ('ref_1', 'T1');
                """)
        let before = try db.rows("SELECT * FROM orders ORDER BY id").map(\.values)
        let payments = try db.rows("SELECT * FROM payment ORDER BY id").map(\.values)
        #expect(
            try NodeSchema.migrator.migrate(db) == [
                "7_orders_payments_by_id", "8_no_orders_by_event", "9_event_seats_by_rank",
                "10_checks_without_in_lists", "11_no_ticket_by_category", "12_event_seat_ranks",
                "13_available_seats", "14_sync_protocol_3", "15_deadlines_on_the_boot_clock",
                "16_api_requests_and_login_failures", "17_door", "18_sessions_on_the_boot_clock",
            ])
        // Migration 17 adds the ticket's signature columns at the end of its text, not inside the
        // CHECK constraint migration 10 rewrote in the same connection.
        let ticketSQL: String = try #require(try db.scalar("SELECT sql FROM sqlite_master WHERE name = 'ticket'"))
        #expect(ticketSQL.contains("status = 'void')") && ticketSQL.contains(", key_id INTEGER, signature BLOB)"))
        #expect(try db.rows("SELECT * FROM orders ORDER BY id").map(\.values) == before)
        #expect(try db.rows("SELECT * FROM payment ORDER BY id").map(\.values) == payments)
        #expect(try db.rows("PRAGMA foreign_key_check").isEmpty)
        for table in ["orders", "payment"] {
            let sql: String? = try db.scalar("SELECT sql FROM sqlite_master WHERE name = ?", [table])
            #expect(sql?.hasSuffix("WITHOUT ROWID") == true)
        }
        #expect(
            try db.scalar(
                "SELECT group_concat(name) FROM sqlite_master WHERE tbl_name = 'orders' AND type = 'index' AND sql IS NOT NULL"
            )
                == "orders_by_customer,orders_by_time")
        #expect(throws: StoreError.self) {
            try db.execute("DELETE FROM orders WHERE id = 'ord_2'")  // its ticket and payment still point at it
        }
    }

    /// Migration 9 gives every event seat its seat's rank; rank order is the seat map's order.
    @Test func eventSeatsGetTheirSeatsRankInSeatMapOrder() throws {
        let directory = TemporaryDirectory()
        let db = try Database(path: directory.file("old.sqlite"))
        try Migrator(Array(NodeSchema.migrator.migrations.prefix(8))).migrate(db)
        try db.executeScript(
            """
            INSERT INTO venue (id, name, timezone) VALUES ('V', 'Hall', 'UTC');
            INSERT INTO seat (venue_id, label, section, row_label, number, section_rank, row_rank) VALUES
                ('V', 'B-A-2', 'B', 'A', 2, 1, 3), ('V', 'A-B-1', 'A', 'B', 1, 0, 2), ('V', 'A-A-10', 'A', 'A', 10, 0, 1),
                ('V', 'A-A-9', 'A', 'A', 9, 0, 1), ('V', 'B-A-1', 'B', 'A', 1, 1, 3);
            INSERT INTO event (id, venue_id, name, starts_at, status) VALUES ('E', 'V', 'Show', 0, 'on_sale');
            INSERT INTO price_category (event_id, code, name, kind, price_minor, currency, capacity)
                VALUES ('E', 'S', 'Seats', 'seated', 1000, 'EUR', 5);
            INSERT INTO event_seat (event_id, venue_id, seat_label, category_code, status)
                SELECT 'E', 'V', label, 'S', 'available' FROM seat;
            """)
        #expect(try db.scalar("SELECT count(*) FROM event_seat") == 5)
        #expect(
            try NodeSchema.migrator.migrate(db) == [
                "9_event_seats_by_rank", "10_checks_without_in_lists", "11_no_ticket_by_category",
                "12_event_seat_ranks", "13_available_seats", "14_sync_protocol_3", "15_deadlines_on_the_boot_clock",
                "16_api_requests_and_login_failures", "17_door", "18_sessions_on_the_boot_clock",
            ])
        let order = try db.rows("SELECT seat_label FROM event_seat ORDER BY seat_rank").map {
            try $0.get(0, as: String.self)
        }
        #expect(order == ["A-A-9", "A-A-10", "A-B-1", "B-A-1", "B-A-2"])
        #expect(
            try db.scalar("SELECT seat_rank FROM event_seat WHERE seat_label = 'B-A-2'") == (1 << 42) + (3 << 21) + 2)
        let plan = try db.rows(
            """
            EXPLAIN QUERY PLAN SELECT seat_label FROM event_seat
            WHERE event_id = 'E' AND category_code = 'S' AND status = 'available' ORDER BY seat_rank
            """
        ).map { try $0.get("detail", as: String.self) }
        #expect(
            plan.contains { $0.contains("COVERING INDEX event_seat_available") }
                && !plan.contains { $0.contains("TEMP B-TREE") })
    }

    /// Migration 10 rewrites the sale tables' `IN` checks as `OR` chains: the same rows pass,
    /// the same rows are refused, in this connection and in a new one.
    @Test func saleTablesCheckWithoutInListsAndStillRefuseBadValues() throws {
        let directory = TemporaryDirectory()
        let path = directory.file("node.sqlite")
        try NodeSchema.migrator.migrate(try Database(path: path))
        let db = try Database(path: path)
        for table in ["orders", "payment", "ticket", "event_seat"] {
            let sql: String = try #require(try db.scalar("SELECT sql FROM sqlite_schema WHERE name = ?", [table]))
            #expect(!sql.contains(" IN ("), "\(table): \(sql)")
            #expect(sql.contains("status = "), "\(table)")
        }
        #expect(try db.scalar("PRAGMA integrity_check") == "ok")
        try db.executeScript(
            Self.orderParents + """
                INSERT INTO orders (id, idempotency_key, request_fingerprint, event_id, category_code, status, total_minor,
                                    currency, created_at, created_by)
                    VALUES ('ord_1', 'key_1', 'f1', 'E', 'GA', 'confirmed', 1000, 'EUR', 5, 'usr_1');
                INSERT INTO ticket (code, order_id, event_id, category_code, price_minor, status)
                    VALUES ('T1', 'ord_1', 'E', 'GA', 1000, 'valid');
                INSERT INTO payment (id, order_id, method, amount_minor, currency, status, created_at)
                    VALUES ('pay_1', 'ord_1', 'card', 1000, 'EUR', 'captured', 5);
                """)
        for refused in [
            "UPDATE orders SET status = 'lost' WHERE id = 'ord_1'",
            "UPDATE ticket SET status = 'lost' WHERE code = 'T1'",
            "UPDATE payment SET method = 'iou' WHERE id = 'pay_1'",
            "UPDATE payment SET status = 'lost' WHERE id = 'pay_1'",
        ] {
            #expect(throws: StoreError.self, "\(refused)") { try db.execute(refused) }
        }
        #expect(try db.execute("UPDATE orders SET status = 'cancelled' WHERE id = 'ord_1'") == 1)
    }

    @Test func migratingAnOlderNodeSnapshotsItFirstAndKeepsItsData() throws {
        let directory = TemporaryDirectory()
        let path = directory.file("old.sqlite")
        let old = try Database(path: path)
        try Migrator(Array(NodeSchema.migrator.migrations.prefix(2))).migrate(old)
        try old.execute(
            """
            INSERT INTO notification (id, kind, recipient, payload, status, next_attempt_at, created_at)
            VALUES ('ntf_1', 'order_confirmed', 'a@example.org', '{}', 'pending', 0, 0)
            """)
        #expect(throws: TicketingError.self) { try VenueNode.open(path: path) }
        try old.execute(
            "INSERT INTO staff (id, name, role, created_at, updated_at) VALUES ('usr_1', 'root', 'admin', 0, 0), ('usr_2', 'cal', 'cashier', 0, 0)"
        )
        try old.execute(
            "INSERT INTO sync_outbox (record_type, entity_id, payload, created_at) VALUES ('order.placed', 'ord_1', '{}', 0), ('order.placed', 'ord_2', '{}', 0)"
        )
        try old.execute(
            "INSERT INTO session (token_hash, staff_id, created_at, expires_at) VALUES (?, 'usr_1', 0, ?), (?, 'usr_2', 0, ?)",
            [Users.tokenHash("admin-token"), Int64.max, Users.tokenHash("cashier-token"), Int64.max])
        #expect(throws: TicketingError.self, "applying migrations needs an admin") {
            try VenueNode.migrate(path: path, dryRun: false)
        }
        #expect(throws: TicketingError.self) {
            try VenueNode.migrate(path: path, dryRun: false, sessionToken: "cashier-token")
        }
        let outcome = try VenueNode.migrate(path: path, dryRun: false, sessionToken: "admin-token")
        #expect(
            outcome.fromVersion == 2 && outcome.toVersion == NodeSchema.migrator.latestVersion
                && outcome.applied == [
                    "3_central_refund_orders", "4_sync_protocol_2", "5_cash_drawers", "6_sale_path",
                    "7_orders_payments_by_id", "8_no_orders_by_event", "9_event_seats_by_rank",
                    "10_checks_without_in_lists", "11_no_ticket_by_category", "12_event_seat_ranks",
                    "13_available_seats", "14_sync_protocol_3", "15_deadlines_on_the_boot_clock",
                    "16_api_requests_and_login_failures", "17_door", "18_sessions_on_the_boot_clock",
                ])
        let snapshot = try #require(outcome.snapshot)
        #expect(try Database(path: snapshot).scalar("PRAGMA user_version") == 2)
        #expect((try FileManager.default.attributesOfItem(atPath: snapshot)[.posixPermissions] as? Int) == 0o600)
        #expect(try old.scalar("SELECT recipient FROM notification WHERE id = 'ntf_1'") == "a@example.org")
        // The outbox, rebuilt without AUTOINCREMENT, keeps its records and numbers on after them.
        #expect(try old.scalar("SELECT group_concat(seq || ':' || entity_id) FROM sync_outbox") == "1:ord_1,2:ord_2")
        try old.execute(
            "INSERT INTO sync_outbox (record_type, entity_id, payload, created_at) VALUES ('order.placed', 'ord_3', '{}', 0)"
        )
        #expect(try old.scalar("SELECT max(seq) FROM sync_outbox") == 3)
        try old.execute(
            """
            INSERT INTO notification (id, kind, recipient, payload, status, next_attempt_at, created_at)
            VALUES ('ntf_2', 'refund_ordered', 'a@example.org', '{}', 'pending', 0, 0)
            """)
    }

    /// A node that never synced has nothing to take back: the sale it made after the snapshot,
    /// which central never acknowledged, is carried over at once, as a new record of the new
    /// epoch, with its tickets, and the inventory counts it.
    @Test func restoreCarriesOverWhatCentralNeverAcknowledgedAndKeepsTheReplacedDatabase() throws {
        let h = try NodeHarness()
        let token = try h.node.users.login(name: "root", password: "root-password").token
        let snapshot = h.directory.file("before.sqlite")
        try h.node.database.backup(to: snapshot)
        let lost = try h.sell(selection: .quantity(4))
        let outcome = try VenueNode.restore(
            path: h.path, from: snapshot, authority: .session(token: token), clock: h.clock)
        #expect(outcome.epoch == 2 && !outcome.recoveryPending, "a node that never synced has nothing to take back")
        #expect(outcome.carriedOver?.carried == 1 && outcome.carriedOver?.sales == 1, "\(String(describing: outcome))")
        #expect(outcome.carriedOver?.refused == [] && outcome.toCarryOver == 0 && outcome.discarded == 0)
        #expect(try h.count("SELECT count(*) FROM orders WHERE id = ?", [lost.orderID]) == 1)
        #expect(try h.count("SELECT count(*) FROM ticket WHERE order_id = ? AND status = 'valid'", [lost.orderID]) == 4)
        #expect(
            try h.count(
                "SELECT count(*) FROM sync_outbox WHERE record_type = 'order.placed' AND instr(payload, ?) > 0",
                [lost.orderID]) == 1)
        #expect(try h.count("SELECT sold FROM allocation WHERE event_id = 'SHOW' AND category_code = 'GA'") == 4)
        #expect(try h.inventoryViolations().isEmpty)
        let replaced = try #require(outcome.replacedFile)
        #expect(try Database(path: replaced).scalar("SELECT count(*) FROM orders") == 1)
        #expect(try h.node.sync.status().epoch == 2)
        let staged = try FileManager.default.contentsOfDirectory(atPath: h.directory.path).filter {
            $0.contains(".restoring")
        }
        #expect(staged.isEmpty, "the staging copy's files are gone: \(staged)")
        _ = try h.sell()
        #expect(throws: TicketingError.notFound("no snapshot at \(h.directory.file("missing.sqlite"))")) {
            try VenueNode.restore(
                path: h.path, from: h.directory.file("missing.sqlite"), authority: .session(token: token))
        }
    }

    /// Told to, a restore drops what central never acknowledged, and says how many sales; the
    /// replaced database keeps them.
    @Test func restoreDropsWhatCentralNeverAcknowledgedOnlyWhenTold() throws {
        let h = try NodeHarness()
        let token = try h.node.users.login(name: "root", password: "root-password").token
        let snapshot = h.directory.file("before.sqlite")
        try h.node.database.backup(to: snapshot)
        _ = try h.sell(selection: .quantity(2))
        _ = try h.sell("SHOW", "MAIN", selection: .seats(["MAIN-A-1"]))
        let outcome = try VenueNode.restore(
            path: h.path, from: snapshot, authority: .session(token: token), discardingUnpushed: true, clock: h.clock)
        // Discarded: the two sales; the record of the signing key `init` made, never pushed either, is
        // the snapshot's too, which pushes it itself.
        #expect(outcome.carriedOver == nil && outcome.salesDiscarded == 2 && outcome.discarded == 2)
        #expect(try h.count("SELECT count(*) FROM orders") == 0)
        #expect(try Database(path: try #require(outcome.replacedFile)).scalar("SELECT count(*) FROM orders") == 2)
        #expect(try h.inventoryViolations().isEmpty)
    }

    /// A replaced database that cannot be read cannot have its unacknowledged facts carried
    /// over: the restore is refused, the file left as it is, unless told to drop them.
    @Test func restoreOverAnUnreadableDatabaseNeedsToBeToldToDropItsFacts() throws {
        let h = try NodeHarness()
        let snapshot = h.directory.file("before.sqlite")
        try h.node.database.backup(to: snapshot)
        let broken = h.directory.file("broken.sqlite")
        let garbage = Data(repeating: 0x5A, count: 8192)
        try garbage.write(to: URL(fileURLWithPath: broken))
        let password = RestoreAuthority.password(name: "root", password: "root-password")
        #expect {
            try VenueNode.restore(path: broken, from: snapshot, authority: password, clock: h.clock)
        } throws: { error in
            guard case .rejected("unpushed_unknown", let message) = error as? TicketingError else { return false }
            return message.contains("cannot be carried over: restoring would drop it; nothing was changed")
        }
        #expect(try Data(contentsOf: URL(fileURLWithPath: broken)) == garbage)
        let outcome = try VenueNode.restore(
            path: broken, from: snapshot, authority: password, discardingUnpushed: true, clock: h.clock)
        #expect(outcome.unpushedUnknown && outcome.replacedFile != nil)
        #expect(try VenueNode.open(path: broken).settings().nodeID == h.node.settings().nodeID)
    }

    /// A fact that conflicts with the restored database is left out and listed, the others go
    /// on: here a seat the replaced database sold again after an earlier restore had dropped
    /// its first sale, which the snapshot now restored holds.
    @Test func restoreLeavesOutAndListsWhatConflicts() throws {
        let h = try NodeHarness()
        let token = try h.node.users.login(name: "root", password: "root-password").token
        let empty = h.directory.file("empty.sqlite")
        try h.node.database.backup(to: empty)
        let first = try h.sell("SHOW", "MAIN", selection: .seats(["MAIN-A-1"]))
        let withFirst = h.directory.file("with-first.sqlite")
        try h.node.database.backup(to: withFirst)
        _ = try VenueNode.restore(
            path: h.path, from: empty, authority: .session(token: token), discardingUnpushed: true, clock: h.clock)
        let second = try h.sell("SHOW", "MAIN", selection: .seats(["MAIN-A-1"]))
        let standing = try h.sell(selection: .quantity(2))
        h.clock.advance(seconds: 60)

        let outcome = try VenueNode.restore(
            path: h.path, from: withFirst, authority: .session(token: token), clock: h.clock)
        let report = try #require(outcome.carriedOver)
        #expect(report.carried == 1 && report.sales == 1)
        #expect(
            report.refused.map(\.reason) == ["seat MAIN-A-1 is sold to order \(first.orderID) here"]
                && report.refused.first?.entityID == second.orderID, "\(report.refused)")
        #expect(try h.count("SELECT count(*) FROM orders WHERE id IN (?, ?)", [first.orderID, standing.orderID]) == 2)
        #expect(try h.count("SELECT count(*) FROM orders WHERE id = ?", [second.orderID]) == 0)
        #expect(try h.count("SELECT count(*) FROM audit_log WHERE action = 'sync.not_carried_over'") == 1)
        #expect(try h.inventoryViolations().isEmpty)
    }

    /// A snapshot of a database made before nodes had 2 KiB pages has 4 KiB pages; it restores
    /// into a node database of either size (SQLite copies into a WAL database only between equal
    /// page sizes) and onto a machine that has none, which then gets 2 KiB pages.
    @Test func restoreTakesSnapshotsWhosePagesAreAnotherSize() throws {
        let h = try NodeHarness()
        let token = try h.node.users.login(name: "root", password: "root-password").token
        #expect(try h.node.database.pageSize() == 2048)
        _ = try h.sell()
        let snapshot = h.directory.file("old-pages.sqlite")
        try h.node.database.backup(to: snapshot)
        try Database(path: snapshot).changePageSize(to: 4096)
        #expect(try Database(path: snapshot).pageSize() == 4096)
        _ = try h.sell(selection: .quantity(2))
        _ = try VenueNode.restore(path: h.path, from: snapshot, authority: .session(token: token), clock: h.clock)
        #expect(try h.count("SELECT count(*) FROM orders") == 2, "the later sale, never pushed, carried over")
        #expect(try h.node.database.pageSize() == 2048)
        #expect(try h.inventoryViolations().isEmpty)
        _ = try h.sell()

        let fresh = h.directory.file("new-machine.sqlite")
        let outcome = try VenueNode.restore(
            path: fresh, from: snapshot, authority: .password(name: "root", password: "root-password"),
            clock: h.clock)
        #expect(outcome.replacedFile == nil)
        let restored = try VenueNode.open(path: fresh)
        #expect(try restored.database.pageSize() == 2048)
        #expect(try restored.database.scalar("SELECT count(*) FROM orders") == 1)
        #expect(try restored.database.scalar("PRAGMA journal_mode") == "wal")
    }

    /// Restoring refuses another node's snapshot, a damaged one, a cashier, and a database the
    /// daemon holds; each refusal leaves the database as it was.
    @Test func restoreRefusesWhatWouldLoseOrMixData() throws {
        let h = try NodeHarness()
        let admin = try h.node.users.login(name: "root", password: "root-password").token
        try h.node.users.setPassword(name: "cal", password: "cal-password", by: h.admin)
        let cashier = try h.node.users.login(name: "cal", password: "cal-password").token
        let snapshot = h.directory.file("before.sqlite")
        try h.node.database.backup(to: snapshot)
        _ = try h.sell()
        func refusal(_ body: () throws -> Void) -> String? {
            do {
                try body()
                return nil
            } catch let error as TicketingError {
                if case .rejected(let code, _) = error { return code }
                return "\(error)"
            } catch {
                return "\(error)"
            }
        }
        let other = h.directory.file("other.sqlite")
        _ = try VenueNode.initialize(path: other, nodeID: "OTHER-9", adminName: "root", password: "root-password")
        let otherSnapshot = h.directory.file("other-snapshot.sqlite")
        try VenueNode.open(path: other).database.backup(to: otherSnapshot)
        #expect(
            refusal { _ = try VenueNode.restore(path: h.path, from: otherSnapshot, authority: .session(token: admin)) }
                == "other_node")
        let damaged = h.directory.file("damaged.sqlite")
        var bytes = try Data(contentsOf: URL(fileURLWithPath: snapshot))
        for offset in stride(from: 4096 * 2, to: min(bytes.count, 4096 * 6), by: 7) { bytes[offset] ^= 0x5A }
        try bytes.write(to: URL(fileURLWithPath: damaged))
        #expect(
            refusal { _ = try VenueNode.restore(path: h.path, from: damaged, authority: .session(token: admin)) } != nil
        )
        #expect(
            refusal { _ = try VenueNode.restore(path: h.path, from: snapshot, authority: .session(token: cashier)) }
                != nil)
        let daemon = try InstanceLock(databasePath: h.path, owner: "venue-syncd")
        #expect(
            refusal { _ = try VenueNode.restore(path: h.path, from: snapshot, authority: .session(token: admin)) }
                == "database_in_use")
        withExtendedLifetime(daemon) {}
        #expect(try h.count("SELECT count(*) FROM orders") == 1)
        #expect(
            try FileManager.default.contentsOfDirectory(atPath: h.directory.path).filter { $0.contains(".replaced-") }
                .isEmpty)
    }

    @Test func statusCountsWhatWaits() throws {
        let h = try NodeHarness()
        _ = try h.sell(customer: CustomerDetails(email: "a@example.org"))
        _ = try h.node.inventory.hold(
            HoldRequest(eventID: "SHOW", categoryCode: "GA", selection: .quantity(1)), by: h.cashier)
        let status = try h.node.status()
        #expect(status.nodeID == "TEST-1" && status.orders == 1 && status.activeHolds == 1)
        // The sale, and the signing key `init` made.
        #expect(status.outboxPending == 2 && status.notificationsPending == 1)
    }
}

@Suite struct ValueTests {
    @Test func moneyFormatsMinorUnits() {
        #expect(Money(minor: 6500, currency: "EUR").description == "65.00 EUR")
        #expect(Money(minor: -5, currency: "EUR").description == "-0.05 EUR")
        #expect(Money(minor: 1200, currency: "JPY").description == "1200 JPY")
    }

    @Test func durationsParse() {
        #expect(
            DurationText.seconds("90s") == 90 && DurationText.seconds("10m") == 600
                && DurationText.seconds("2h") == 7200)
        #expect(DurationText.seconds("45") == 45 && DurationText.seconds("1d") == 86_400)
        for bad in ["", "m", "-5m", "1.5h", "10 m", "99999999999h"] { #expect(DurationText.seconds(bad) == nil) }
    }

    /// The ULID specification's example time, and Crockford base32 at both ends of the alphabet.
    @Test func identifiersAreULIDsAndTicketCodesReadAloudGroups() {
        #expect(
            Identifiers.ulid(milliseconds: 1_469_918_176_385, random: [UInt8](repeating: 0xFF, count: 10))
                == "01ARYZ6S41ZZZZZZZZZZZZZZZZ")
        #expect(Identifiers.base32([UInt8](repeating: 0, count: 10)) == "0000000000000000")
        #expect(Identifiers.base32([0x08, 0x42, 0x10, 0x84, 0x21, 0x08, 0x42, 0x10, 0x84, 0x21]) == "1111111111111111")
        let ids = Identifiers(clock: SystemWallClock())
        let order = ids.make(.order)
        #expect(order.hasPrefix("ord_") && order.count == 30)
        let code = TicketCode.shortCode(serial: ids.ticketSerial())
        #expect(code.count == 19 && Identifiers.normalizedTicketCode(code) == code)
        #expect(Set((0..<100).map { _ in ids.ticketSerial() }).count == 100)
    }

    @Test func ticketCodesNormalise() {
        #expect(Identifiers.normalizedTicketCode("k7qx 3m9d pa2f w8zr") == "K7QX-3M9D-PA2F-W8ZR")
        #expect(Identifiers.normalizedTicketCode("O0IL-0000-0000-0000") == "0011-0000-0000-0000")
        #expect(Identifiers.normalizedTicketCode("K7QX-3M9D") == nil)
        #expect(Identifiers.normalizedTicketCode("UUUU-0000-0000-0000") == nil)
    }

    @Test func identifiersSortByTime() {
        let clock = ManualWallClock(Timestamp(milliseconds: 1_000))
        let ids = Identifiers(clock: clock)
        let first = ids.make(.order)
        clock.advance(seconds: 1)
        let second = ids.make(.order)
        #expect(first < second && first.hasPrefix("ord_") && first.count == 30)
    }
}
