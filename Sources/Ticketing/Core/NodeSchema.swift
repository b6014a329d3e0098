import EdgeStore

/// The node database's schema: ordered migrations, never edited once released.
///
/// Times are INTEGER milliseconds since the epoch (UTC); money is INTEGER minor units. Counters
/// that must never go wrong are guarded twice: by compare-and-set updates in code and by CHECK
/// constraints here (`sold + held <= quota`), so a bug fails loudly instead of overselling.
public enum NodeSchema {
    /// All migrations of the node database, in order.
    public static let migrator = Migrator([
        Migration("1_node_core", sql: version1),
        Migration("2_sync_pull_parking", sql: version2),
        Migration("3_central_refund_orders", sql: version3),
        Migration("4_sync_protocol_2", sql: version4),
        Migration("5_cash_drawers", sql: version5),
        Migration("6_sale_path", sql: version6),
        Migration("7_orders_payments_by_id", sql: version7),
        Migration("8_no_orders_by_event", sql: version8),
        Migration("9_event_seats_by_rank", sql: version9),
        Migration("10_checks_without_in_lists", sql: version10),
        Migration("11_no_ticket_by_category", sql: version11),
        Migration("12_event_seat_ranks", sql: version12),
        Migration("13_available_seats", sql: version13),
        Migration("14_sync_protocol_3", sql: version14),
        Migration("15_deadlines_on_the_boot_clock", sql: version15),
        Migration("16_api_requests_and_login_failures", sql: version16),
        Migration("17_door", sql: version17),
        Migration("18_sessions_on_the_boot_clock", sql: version18),
    ])

    static let version1 = """
        CREATE TABLE node_setting (
            key TEXT PRIMARY KEY,
            value TEXT NOT NULL
        ) STRICT, WITHOUT ROWID;

        -- Users
        CREATE TABLE staff (
            id TEXT PRIMARY KEY,
            name TEXT NOT NULL UNIQUE,
            role TEXT NOT NULL CHECK (role IN ('cashier', 'supervisor', 'admin')),
            password_hash TEXT,
            disabled INTEGER NOT NULL DEFAULT 0 CHECK (disabled IN (0, 1)),
            created_at INTEGER NOT NULL,
            updated_at INTEGER NOT NULL
        ) STRICT;

        CREATE TABLE session (
            token_hash TEXT PRIMARY KEY,
            staff_id TEXT NOT NULL REFERENCES staff(id),
            created_at INTEGER NOT NULL,
            expires_at INTEGER NOT NULL,
            ended_at INTEGER
        ) STRICT, WITHOUT ROWID;
        CREATE INDEX session_by_staff ON session(staff_id);

        CREATE TABLE audit_log (
            id INTEGER PRIMARY KEY,
            at INTEGER NOT NULL,
            operator TEXT NOT NULL,
            action TEXT NOT NULL,
            entity TEXT NOT NULL,
            entity_id TEXT NOT NULL,
            detail TEXT NOT NULL DEFAULT '{}'
        ) STRICT;

        -- Catalog
        CREATE TABLE venue (
            id TEXT PRIMARY KEY,
            name TEXT NOT NULL,
            timezone TEXT NOT NULL
        ) STRICT;

        CREATE TABLE seat (
            venue_id TEXT NOT NULL REFERENCES venue(id),
            label TEXT NOT NULL,
            section TEXT NOT NULL,
            row_label TEXT NOT NULL,
            number INTEGER NOT NULL,
            section_rank INTEGER NOT NULL,
            row_rank INTEGER NOT NULL,
            PRIMARY KEY (venue_id, label)
        ) STRICT, WITHOUT ROWID;

        CREATE TABLE event (
            id TEXT PRIMARY KEY,
            venue_id TEXT NOT NULL REFERENCES venue(id),
            name TEXT NOT NULL,
            starts_at INTEGER NOT NULL,
            status TEXT NOT NULL CHECK (status IN ('draft', 'on_sale', 'closed', 'cancelled')),
            capacity INTEGER CHECK (capacity IS NULL OR capacity >= 0),
            sold INTEGER NOT NULL DEFAULT 0 CHECK (sold >= 0),
            held INTEGER NOT NULL DEFAULT 0 CHECK (held >= 0),
            version INTEGER NOT NULL DEFAULT 1,
            CHECK (capacity IS NULL OR sold + held <= capacity)
        ) STRICT;

        CREATE TABLE price_category (
            event_id TEXT NOT NULL REFERENCES event(id),
            code TEXT NOT NULL,
            name TEXT NOT NULL,
            kind TEXT NOT NULL CHECK (kind IN ('ga', 'seated')),
            price_minor INTEGER NOT NULL CHECK (price_minor >= 0),
            currency TEXT NOT NULL,
            capacity INTEGER NOT NULL CHECK (capacity >= 0),
            PRIMARY KEY (event_id, code)
        ) STRICT, WITHOUT ROWID;

        -- Inventory: what this node may sell, and what it has sold and holds.
        CREATE TABLE allocation (
            event_id TEXT NOT NULL,
            category_code TEXT NOT NULL,
            quota INTEGER NOT NULL CHECK (quota >= 0),
            sold INTEGER NOT NULL DEFAULT 0 CHECK (sold >= 0),
            held INTEGER NOT NULL DEFAULT 0 CHECK (held >= 0),
            version INTEGER NOT NULL DEFAULT 1,
            PRIMARY KEY (event_id, category_code),
            FOREIGN KEY (event_id, category_code) REFERENCES price_category(event_id, code),
            CHECK (sold + held <= quota)
        ) STRICT, WITHOUT ROWID;

        CREATE TABLE event_seat (
            event_id TEXT NOT NULL REFERENCES event(id),
            venue_id TEXT NOT NULL,
            seat_label TEXT NOT NULL,
            category_code TEXT NOT NULL,
            status TEXT NOT NULL CHECK (status IN ('available', 'held', 'sold', 'unallocated')),
            hold_id TEXT,
            version INTEGER NOT NULL DEFAULT 1,
            PRIMARY KEY (event_id, seat_label),
            FOREIGN KEY (venue_id, seat_label) REFERENCES seat(venue_id, label),
            FOREIGN KEY (event_id, category_code) REFERENCES price_category(event_id, code),
            CHECK ((status = 'held') = (hold_id IS NOT NULL))
        ) STRICT, WITHOUT ROWID;
        CREATE INDEX event_seat_by_category ON event_seat(event_id, category_code, status);
        CREATE INDEX event_seat_by_hold ON event_seat(hold_id) WHERE hold_id IS NOT NULL;

        CREATE TABLE hold (
            id TEXT PRIMARY KEY,
            event_id TEXT NOT NULL,
            category_code TEXT NOT NULL,
            quantity INTEGER NOT NULL CHECK (quantity > 0),
            status TEXT NOT NULL CHECK (status IN ('active', 'confirmed', 'released', 'expired')),
            created_at INTEGER NOT NULL,
            expires_at INTEGER NOT NULL,
            created_by TEXT NOT NULL REFERENCES staff(id),
            order_id TEXT REFERENCES orders(id),
            FOREIGN KEY (event_id, category_code) REFERENCES price_category(event_id, code)
        ) STRICT;
        CREATE INDEX hold_active_by_expiry ON hold(expires_at) WHERE status = 'active';
        CREATE INDEX hold_active_by_event ON hold(event_id, expires_at) WHERE status = 'active';

        -- Orders, tickets and payments
        CREATE TABLE customer (
            id TEXT PRIMARY KEY,
            email TEXT NOT NULL UNIQUE,
            name TEXT,
            phone TEXT,
            created_at INTEGER NOT NULL
        ) STRICT;

        CREATE TABLE orders (
            id TEXT PRIMARY KEY,
            idempotency_key TEXT NOT NULL UNIQUE,
            request_fingerprint TEXT NOT NULL,
            event_id TEXT NOT NULL REFERENCES event(id),
            category_code TEXT NOT NULL,
            customer_id TEXT REFERENCES customer(id),
            status TEXT NOT NULL CHECK (status IN ('confirmed', 'partially_refunded', 'refunded', 'cancelled')),
            total_minor INTEGER NOT NULL CHECK (total_minor >= 0),
            currency TEXT NOT NULL,
            hold_id TEXT,
            created_at INTEGER NOT NULL,
            created_by TEXT NOT NULL REFERENCES staff(id)
        ) STRICT;
        CREATE INDEX orders_by_event ON orders(event_id);
        CREATE INDEX orders_by_customer ON orders(customer_id);

        CREATE TABLE ticket (
            code TEXT PRIMARY KEY,
            order_id TEXT NOT NULL REFERENCES orders(id),
            event_id TEXT NOT NULL,
            category_code TEXT NOT NULL,
            seat_label TEXT,
            price_minor INTEGER NOT NULL CHECK (price_minor >= 0),
            status TEXT NOT NULL CHECK (status IN ('valid', 'checked_in', 'refunded', 'void')),
            checked_in_at INTEGER
        ) STRICT, WITHOUT ROWID;
        CREATE INDEX ticket_by_order ON ticket(order_id);
        CREATE INDEX ticket_by_category ON ticket(event_id, category_code, status);
        CREATE UNIQUE INDEX ticket_one_live_per_seat ON ticket(event_id, seat_label)
            WHERE seat_label IS NOT NULL AND status IN ('valid', 'checked_in');

        CREATE TABLE payment (
            id TEXT PRIMARY KEY,
            order_id TEXT NOT NULL REFERENCES orders(id),
            method TEXT NOT NULL CHECK (method IN ('cash', 'card', 'comp')),
            amount_minor INTEGER NOT NULL CHECK (amount_minor >= 0),
            currency TEXT NOT NULL,
            tendered_minor INTEGER,
            change_minor INTEGER,
            reference TEXT,
            status TEXT NOT NULL CHECK (status IN ('captured', 'partially_refunded', 'refunded')),
            refunded_minor INTEGER NOT NULL DEFAULT 0,
            created_at INTEGER NOT NULL,
            CHECK (refunded_minor >= 0 AND refunded_minor <= amount_minor)
        ) STRICT;
        CREATE INDEX payment_by_order ON payment(order_id);

        CREATE TABLE refund (
            id TEXT PRIMARY KEY,
            order_id TEXT NOT NULL REFERENCES orders(id),
            payment_id TEXT NOT NULL REFERENCES payment(id),
            amount_minor INTEGER NOT NULL CHECK (amount_minor >= 0),
            currency TEXT NOT NULL,
            reason TEXT NOT NULL,
            origin TEXT NOT NULL CHECK (origin IN ('counter', 'event_cancelled', 'central')),
            status TEXT NOT NULL CHECK (status IN ('pending', 'completed')),
            created_at INTEGER NOT NULL,
            created_by TEXT NOT NULL,
            completed_at INTEGER,
            completed_by TEXT
        ) STRICT;
        CREATE INDEX refund_by_order ON refund(order_id);
        CREATE INDEX refund_pending ON refund(created_at) WHERE status = 'pending';

        CREATE TABLE refund_ticket (
            refund_id TEXT NOT NULL REFERENCES refund(id),
            ticket_code TEXT NOT NULL REFERENCES ticket(code),
            PRIMARY KEY (refund_id, ticket_code)
        ) STRICT, WITHOUT ROWID;

        -- Notifications: an outbox that a worker renders into the spool folder.
        CREATE TABLE notification (
            id TEXT PRIMARY KEY,
            kind TEXT NOT NULL CHECK (kind IN ('order_confirmed', 'order_refunded', 'event_cancelled')),
            recipient TEXT NOT NULL,
            order_id TEXT REFERENCES orders(id),
            payload TEXT NOT NULL,
            status TEXT NOT NULL CHECK (status IN ('pending', 'sent', 'failed')),
            attempts INTEGER NOT NULL DEFAULT 0,
            next_attempt_at INTEGER NOT NULL,
            last_error TEXT,
            created_at INTEGER NOT NULL,
            sent_at INTEGER
        ) STRICT;
        CREATE INDEX notification_due ON notification(next_attempt_at) WHERE status = 'pending';

        -- Sync: every change central must learn, written in the same transaction as the change.
        CREATE TABLE sync_outbox (
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            record_type TEXT NOT NULL,
            entity_id TEXT NOT NULL,
            payload TEXT NOT NULL,
            created_at INTEGER NOT NULL
        ) STRICT;

        CREATE TABLE sync_state (
            key TEXT PRIMARY KEY,
            value TEXT NOT NULL
        ) STRICT, WITHOUT ROWID;
        """

    /// Changes pulled from central that this node could never apply, kept with their error
    /// so that one bad change does not stop the ones after it.
    static let version2 = """
        CREATE TABLE sync_pull_parked (
            seq INTEGER PRIMARY KEY,
            change_type TEXT NOT NULL,
            entity_id TEXT NOT NULL,
            payload TEXT NOT NULL,
            error TEXT NOT NULL,
            parked_at INTEGER NOT NULL
        ) STRICT;
        """

    /// Refunds ordered by central (reconciliation) are carried out once: a refund remembers
    /// central's reference. Customers are told about them (`refund_ordered`); SQLite cannot
    /// change a CHECK constraint, so the notification table is rebuilt.
    static let version3 = """
        ALTER TABLE refund ADD COLUMN central_reference TEXT;
        CREATE UNIQUE INDEX refund_by_central_reference ON refund(central_reference) WHERE central_reference IS NOT NULL;

        CREATE TABLE notification_v3 (
            id TEXT PRIMARY KEY,
            kind TEXT NOT NULL CHECK (kind IN ('order_confirmed', 'order_refunded', 'event_cancelled', 'refund_ordered')),
            recipient TEXT NOT NULL,
            order_id TEXT REFERENCES orders(id),
            payload TEXT NOT NULL,
            status TEXT NOT NULL CHECK (status IN ('pending', 'sent', 'failed')),
            attempts INTEGER NOT NULL DEFAULT 0,
            next_attempt_at INTEGER NOT NULL,
            last_error TEXT,
            created_at INTEGER NOT NULL,
            sent_at INTEGER
        ) STRICT;
        INSERT INTO notification_v3 SELECT * FROM notification;
        DROP TABLE notification;
        ALTER TABLE notification_v3 RENAME TO notification;
        CREATE INDEX notification_due ON notification(next_attempt_at) WHERE status = 'pending';
        """

    /// Sync protocol 2. `central_version`: central's proposal an allocation last answered, so that
    /// a proposal pulled again (after a restore) is recognised as already decided.
    /// `sync_pull_applied`: a digest of each change pulled lately, so that a central restored from
    /// a backup, which numbers new changes again from an older point, is noticed.
    static let version4 = """
        ALTER TABLE allocation ADD COLUMN central_version INTEGER NOT NULL DEFAULT 0;

        CREATE TABLE sync_pull_applied (
            seq INTEGER PRIMARY KEY,
            digest TEXT NOT NULL
        ) STRICT;
        """

    /// A cashier's drawer from opening float to counted close, and the indexes the counter's
    /// reports read by time.
    static let version5 = """
        CREATE TABLE drawer (
            id TEXT PRIMARY KEY,
            staff_id TEXT NOT NULL REFERENCES staff(id),
            currency TEXT NOT NULL,
            float_minor INTEGER NOT NULL CHECK (float_minor >= 0),
            opened_at INTEGER NOT NULL,
            closed_at INTEGER,
            counted_minor INTEGER CHECK (counted_minor >= 0),
            expected_minor INTEGER,
            CHECK ((closed_at IS NULL) = (counted_minor IS NULL))
        ) STRICT;
        CREATE UNIQUE INDEX drawer_open_once ON drawer(staff_id) WHERE closed_at IS NULL;
        CREATE INDEX drawer_by_time ON drawer(opened_at);
        CREATE INDEX orders_by_time ON orders(created_at);
        CREATE INDEX refund_by_completion ON refund(completed_at) WHERE status = 'completed';
        """

    /// What a sale writes and reads, trimmed to what it needs: the seat map in rank order (best
    /// available reads the front rows only), no index entry for the many orders without a
    /// customer, and an outbox numbered by its rowid (SQLite's single writer already gives commit
    /// order; AUTOINCREMENT only added a `sqlite_sequence` write to every sale). Outbox rows are
    /// never deleted except to be written again at the same or higher numbers (taking back), so
    /// numbers are not reused.
    static let version6 = """
        CREATE INDEX seat_by_rank ON seat(venue_id, section_rank, row_rank, number, section, row_label);

        DROP INDEX orders_by_customer;
        CREATE INDEX orders_by_customer ON orders(customer_id) WHERE customer_id IS NOT NULL;

        CREATE TABLE sync_outbox_v6 (
            seq INTEGER PRIMARY KEY,
            record_type TEXT NOT NULL,
            entity_id TEXT NOT NULL,
            payload TEXT NOT NULL,
            created_at INTEGER NOT NULL
        ) STRICT;
        INSERT INTO sync_outbox_v6 (seq, record_type, entity_id, payload, created_at)
            SELECT seq, record_type, entity_id, payload, created_at FROM sync_outbox;
        DROP TABLE sync_outbox;
        ALTER TABLE sync_outbox_v6 RENAME TO sync_outbox;
        DELETE FROM sqlite_sequence WHERE name = 'sync_outbox';
        """

    /// Orders and payments keyed by their id alone (`WITHOUT ROWID`): a rowid table with a text
    /// primary key is two B-trees, so every sale wrote one page more for each. Their rows are
    /// copied aside, the tables dropped and made again, and the rows put back; the children's
    /// references (tickets, payments, refunds, holds, notifications) are checked at commit
    /// (`defer_foreign_keys`), after the rows are back, and by the migrator's foreign key check.
    static let version7 = """
        PRAGMA defer_foreign_keys = ON;
        CREATE TEMP TABLE orders_v7 AS SELECT * FROM orders;
        CREATE TEMP TABLE payment_v7 AS SELECT * FROM payment;
        DROP TABLE payment;
        DROP TABLE orders;

        CREATE TABLE orders (
            id TEXT PRIMARY KEY,
            idempotency_key TEXT NOT NULL UNIQUE,
            request_fingerprint TEXT NOT NULL,
            event_id TEXT NOT NULL REFERENCES event(id),
            category_code TEXT NOT NULL,
            customer_id TEXT REFERENCES customer(id),
            status TEXT NOT NULL CHECK (status IN ('confirmed', 'partially_refunded', 'refunded', 'cancelled')),
            total_minor INTEGER NOT NULL CHECK (total_minor >= 0),
            currency TEXT NOT NULL,
            hold_id TEXT,
            created_at INTEGER NOT NULL,
            created_by TEXT NOT NULL REFERENCES staff(id)
        ) STRICT, WITHOUT ROWID;
        CREATE INDEX orders_by_event ON orders(event_id);
        CREATE INDEX orders_by_customer ON orders(customer_id) WHERE customer_id IS NOT NULL;
        CREATE INDEX orders_by_time ON orders(created_at);
        INSERT INTO orders (id, idempotency_key, request_fingerprint, event_id, category_code, customer_id, status,
                            total_minor, currency, hold_id, created_at, created_by)
            SELECT id, idempotency_key, request_fingerprint, event_id, category_code, customer_id, status,
                   total_minor, currency, hold_id, created_at, created_by FROM temp.orders_v7;

        CREATE TABLE payment (
            id TEXT PRIMARY KEY,
            order_id TEXT NOT NULL REFERENCES orders(id),
            method TEXT NOT NULL CHECK (method IN ('cash', 'card', 'comp')),
            amount_minor INTEGER NOT NULL CHECK (amount_minor >= 0),
            currency TEXT NOT NULL,
            tendered_minor INTEGER,
            change_minor INTEGER,
            reference TEXT,
            status TEXT NOT NULL CHECK (status IN ('captured', 'partially_refunded', 'refunded')),
            refunded_minor INTEGER NOT NULL DEFAULT 0,
            created_at INTEGER NOT NULL,
            CHECK (refunded_minor >= 0 AND refunded_minor <= amount_minor)
        ) STRICT, WITHOUT ROWID;
        CREATE INDEX payment_by_order ON payment(order_id);
        INSERT INTO payment (id, order_id, method, amount_minor, currency, tendered_minor, change_minor, reference,
                             status, refunded_minor, created_at)
            SELECT id, order_id, method, amount_minor, currency, tendered_minor, change_minor, reference,
                   status, refunded_minor, created_at FROM temp.payment_v7;

        DROP TABLE temp.orders_v7;
        DROP TABLE temp.payment_v7;
        """

    /// No index of orders by event: no query reads orders by their event (cancelling an event
    /// finds its orders through their tickets), events are never deleted,
    /// and every sale wrote a page of it.
    static let version8 = """
        DROP INDEX orders_by_event;
        """

    /// Each event seat carries its seat's rank (section, row, number as one integer, see
    /// ``seatRank``), and the index of a category's seats by status is in rank order: best
    /// available reads the category's available seats front to back through it, never passing
    /// over the sold ones, and a sale still moves one entry of one index.
    static let version9 = """
        ALTER TABLE event_seat ADD COLUMN seat_rank INTEGER NOT NULL DEFAULT 0;
        UPDATE event_seat SET seat_rank = (
            SELECT (s.section_rank << 42) + (s.row_rank << 21) + s.number FROM seat s
            WHERE s.venue_id = event_seat.venue_id AND s.label = event_seat.seat_label);
        DROP INDEX event_seat_by_category;
        CREATE INDEX event_seat_by_category ON event_seat(event_id, category_code, status, seat_rank);
        """

    /// The status and method checks of the tables a sale writes, as `=` tests joined by `OR`
    /// rather than `IN (…)`: SQLite builds a temporary index for an `IN` list of three or more
    /// values each time a row is checked, on every sale. The same tests, so every
    /// stored row passes them; changed in place, as SQLite documents for a CHECK constraint
    /// (the stored rows are untouched), and the temporary table made and dropped at the end moves
    /// the schema version on, so that every connection reads the new text.
    static let version10 = """
        PRAGMA writable_schema = ON;
        UPDATE sqlite_schema SET sql = replace(sql,
            'status IN (''confirmed'', ''partially_refunded'', ''refunded'', ''cancelled'')',
            '(status = ''confirmed'' OR status = ''partially_refunded'' OR status = ''refunded'' OR status = ''cancelled'')')
        WHERE type = 'table' AND name = 'orders';
        UPDATE sqlite_schema SET sql = replace(replace(sql,
            'method IN (''cash'', ''card'', ''comp'')',
            '(method = ''cash'' OR method = ''card'' OR method = ''comp'')'),
            'status IN (''captured'', ''partially_refunded'', ''refunded'')',
            '(status = ''captured'' OR status = ''partially_refunded'' OR status = ''refunded'')')
        WHERE type = 'table' AND name = 'payment';
        UPDATE sqlite_schema SET sql = replace(sql,
            'status IN (''valid'', ''checked_in'', ''refunded'', ''void'')',
            '(status = ''valid'' OR status = ''checked_in'' OR status = ''refunded'' OR status = ''void'')')
        WHERE type = 'table' AND name = 'ticket';
        UPDATE sqlite_schema SET sql = replace(sql,
            'status IN (''available'', ''held'', ''sold'', ''unallocated'')',
            '(status = ''available'' OR status = ''held'' OR status = ''sold'' OR status = ''unallocated'')')
        WHERE type = 'table' AND name = 'event_seat';
        PRAGMA writable_schema = OFF;
        CREATE TABLE checks_rewritten (done INTEGER);
        DROP TABLE checks_rewritten;
        """

    /// No index of tickets by event, category and status: every sale wrote a page of it, and
    /// what read it reads all tickets in one pass instead (the counts per category of a take-back
    /// and of the inventory audit, grouped) or rarely (the orders of an event being cancelled).
    static let version11 = """
        DROP INDEX ticket_by_category;
        """

    /// A category's seats in rank order whatever their status: best available finds a row's first
    /// and last seat, sold or not, in two seeks, where `event_seat_by_category` (status first)
    /// took eight. No sale writes it: a sale changes a seat's status, not its category or rank.
    static let version12 = """
        CREATE INDEX event_seat_rank ON event_seat(event_id, category_code, seat_rank);
        """

    /// The available seats of a category in rank order, and no others: best available reads
    /// only them, and a sale, a hold or a refund changes one entry (it was two, the seat's entry
    /// moving from one status to another). The status, the same in every entry, is a column so
    /// that best available's reads, which name it, find all they need in the index (SQLite 3.40
    /// does not take it from the index's WHERE). Counts by another status read the event's seats.
    static let version13 = """
        DROP INDEX event_seat_by_category;
        CREATE INDEX event_seat_available ON event_seat(event_id, category_code, seat_rank, status)
            WHERE status = 'available';
        """

    /// Sync protocol 3: the version of each event's status at central as this node last applied
    /// it, so that a change pulled again (after a restore) is recognised, and so that a status
    /// changed here tells central which of its versions it was changed over.
    static let version14 = """
        CREATE TABLE event_central_status (
            event_id TEXT PRIMARY KEY REFERENCES event(id),
            version INTEGER NOT NULL CHECK (version >= 0)
        ) STRICT, WITHOUT ROWID;
        """

    /// A hold's expiry and an email's next attempt also on the boot clock (``Deadline``), so that
    /// a step of the wall clock neither stretches nor cuts them short; null in older rows, whose
    /// wall-clock time decides. Each kind of row is looked up by either range.
    static let version15 = """
        ALTER TABLE hold ADD COLUMN expires_boot_id TEXT;
        ALTER TABLE hold ADD COLUMN expires_boot_ms INTEGER;
        CREATE INDEX hold_active_by_boot_expiry ON hold(expires_boot_id, expires_boot_ms) WHERE status = 'active';
        CREATE INDEX hold_active_by_event_boot_expiry ON hold(event_id, expires_boot_id, expires_boot_ms)
            WHERE status = 'active';
        ALTER TABLE notification ADD COLUMN next_attempt_boot_id TEXT;
        ALTER TABLE notification ADD COLUMN next_attempt_boot_ms INTEGER;
        CREATE INDEX notification_due_by_boot ON notification(next_attempt_boot_id, next_attempt_boot_ms)
            WHERE status = 'pending';
        """

    /// The API's answers kept under their `Idempotency-Key` (written in the transaction of the
    /// write they answer, so a retry gets the same answer and never a second write), and failed
    /// logins per name, which slow further attempts down and then lock the account for a while.
    static let version16 = """
        CREATE TABLE api_request (
            idempotency_key TEXT PRIMARY KEY CHECK (length(idempotency_key) BETWEEN 8 AND 128),
            fingerprint TEXT NOT NULL,
            status INTEGER NOT NULL,
            response TEXT NOT NULL,
            created_at INTEGER NOT NULL
        ) STRICT, WITHOUT ROWID;
        CREATE INDEX api_request_by_time ON api_request(created_at);
        CREATE TABLE login_failure (
            name TEXT PRIMARY KEY,
            failures INTEGER NOT NULL CHECK (failures > 0),
            last_failed_at INTEGER NOT NULL,
            locked_until INTEGER
        ) STRICT, WITHOUT ROWID;
        """

    /// The door (sync protocol 4). `signing_key`: every node's ticket signing keys (this node's
    /// private one is in a file next to the database), with central's revocations. A ticket keeps
    /// its signature and the id of the key that made it (NULL for a ticket sold before). What the
    /// doors of the venue share, pulled from central: admissions anywhere (this node's too),
    /// tickets refunded or voided, and the tickets central vouches for without a signature a
    /// door can take (unsigned ones sold before, and a revoked key's sold before its cut). And the
    /// offline scanners' admissions imported, so that a file imported twice counts once.
    ///
    /// It starts by making the connection read the schema again: migration 10 rewrote `ticket`'s
    /// text, and a connection that ran it still holds the old text's offsets, where `ADD COLUMN`
    /// would insert the new column (into the middle of a CHECK constraint).
    static let version17 = """
        PRAGMA writable_schema = RESET;
        CREATE TABLE signing_key (
            public_key BLOB PRIMARY KEY CHECK (length(public_key) = 32),
            key_id INTEGER NOT NULL CHECK (key_id BETWEEN 0 AND 65535),
            node_id TEXT NOT NULL,
            created_at INTEGER NOT NULL,
            retired_at INTEGER,
            revoked_after INTEGER,
            revoked_reason TEXT
        ) STRICT, WITHOUT ROWID;
        CREATE INDEX signing_key_by_id ON signing_key(key_id);

        ALTER TABLE ticket ADD COLUMN key_id INTEGER;
        ALTER TABLE ticket ADD COLUMN signature BLOB;

        CREATE TABLE door_admission (
            ticket_code TEXT PRIMARY KEY,
            event_id TEXT NOT NULL,
            node_id TEXT NOT NULL,
            gate TEXT,
            source TEXT NOT NULL CHECK (source = 'door' OR source = 'scanner'),
            admitted_at INTEGER NOT NULL
        ) STRICT, WITHOUT ROWID;
        CREATE INDEX door_admission_by_event ON door_admission(event_id);

        CREATE TABLE door_revocation (
            ticket_code TEXT PRIMARY KEY,
            event_id TEXT,
            status TEXT NOT NULL CHECK (status = 'void' OR status = 'refunded'),
            node_id TEXT NOT NULL,
            revoked_at INTEGER NOT NULL
        ) STRICT, WITHOUT ROWID;
        CREATE INDEX door_revocation_by_event ON door_revocation(event_id);

        CREATE TABLE door_vouched (
            ticket_code TEXT PRIMARY KEY,
            event_id TEXT NOT NULL,
            node_id TEXT NOT NULL,
            category_code TEXT,
            seat_label TEXT,
            reason TEXT NOT NULL CHECK (reason = 'unsigned' OR reason = 'revoked_key')
        ) STRICT, WITHOUT ROWID;
        CREATE INDEX door_vouched_by_event ON door_vouched(event_id);

        CREATE TABLE door_scanner_admission (
            scanner TEXT NOT NULL,
            ticket_code TEXT NOT NULL,
            admitted_at INTEGER NOT NULL,
            imported_at INTEGER NOT NULL,
            PRIMARY KEY (scanner, ticket_code, admitted_at)
        ) STRICT, WITHOUT ROWID;
        """

    /// A seat's place in best-available order as one integer, from the columns of `seat`:
    /// section, then row, then number (each under 2^21: rows hold at most 500 seats).
    static let seatRank = "(section_rank << 42) + (row_rank << 21) + number"

    /// A login session's expiry also on the boot clock (``Deadline``), as a hold's: a step of the
    /// wall clock neither ends a session early nor stretches it. Null in older rows, whose
    /// wall-clock time decides.
    static let version18 = """
        ALTER TABLE session ADD COLUMN expires_boot_id TEXT;
        ALTER TABLE session ADD COLUMN expires_boot_ms INTEGER;
        """
}
