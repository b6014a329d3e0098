-- What nodes report: facts, accepted as they happened. No foreign keys to the catalog: a sale
-- made offline for an event central does not know is still a sale, kept for reconciliation.

CREATE TABLE customer (
    id VARCHAR(40) NOT NULL PRIMARY KEY,
    node_id VARCHAR(40) NOT NULL,
    email VARCHAR(254) NOT NULL,
    name VARCHAR(200) NULL,
    phone VARCHAR(32) NULL,
    KEY customer_by_email (email)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

CREATE TABLE orders (
    id VARCHAR(40) NOT NULL PRIMARY KEY,
    node_id VARCHAR(40) NOT NULL,
    event_id VARCHAR(40) NOT NULL,
    category_code VARCHAR(40) NOT NULL,
    customer_id VARCHAR(40) NULL,
    status VARCHAR(20) NOT NULL,
    total_minor BIGINT NOT NULL,
    currency CHAR(3) NOT NULL,
    idempotency_key VARCHAR(128) NOT NULL,
    hold_id VARCHAR(40) NULL,
    created_at DATETIME(3) NOT NULL,
    created_by VARCHAR(40) NOT NULL,
    received_at DATETIME(3) NOT NULL,
    KEY orders_by_event (event_id, category_code),
    KEY orders_by_node (node_id, created_at),
    KEY orders_by_key (idempotency_key)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

CREATE TABLE ticket (
    code VARCHAR(24) NOT NULL PRIMARY KEY,
    order_id VARCHAR(40) NOT NULL,
    node_id VARCHAR(40) NOT NULL,
    event_id VARCHAR(40) NOT NULL,
    category_code VARCHAR(40) NOT NULL,
    seat_label VARCHAR(40) NULL,
    price_minor BIGINT NOT NULL,
    status VARCHAR(20) NOT NULL,
    checked_in_at DATETIME(3) NULL,
    created_at DATETIME(3) NOT NULL,
    KEY ticket_by_order (order_id),
    KEY ticket_by_category (event_id, category_code, status),
    KEY ticket_by_seat (event_id, seat_label)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

CREATE TABLE payment (
    id VARCHAR(40) NOT NULL PRIMARY KEY,
    order_id VARCHAR(40) NOT NULL,
    node_id VARCHAR(40) NOT NULL,
    method VARCHAR(10) NOT NULL,
    amount_minor BIGINT NOT NULL,
    currency CHAR(3) NOT NULL,
    tendered_minor BIGINT NULL,
    change_minor BIGINT NULL,
    reference VARCHAR(64) NULL,
    status VARCHAR(20) NOT NULL,
    refunded_minor BIGINT NOT NULL DEFAULT 0,
    created_at DATETIME(3) NOT NULL,
    KEY payment_by_order (order_id),
    KEY payment_by_reference (reference)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

CREATE TABLE refund (
    id VARCHAR(40) NOT NULL PRIMARY KEY,
    order_id VARCHAR(40) NOT NULL,
    payment_id VARCHAR(40) NOT NULL,
    node_id VARCHAR(40) NOT NULL,
    amount_minor BIGINT NOT NULL,
    currency CHAR(3) NOT NULL,
    reason VARCHAR(500) NOT NULL,
    origin VARCHAR(20) NOT NULL,
    status VARCHAR(20) NOT NULL,
    created_at DATETIME(3) NOT NULL,
    completed_at DATETIME(3) NULL,
    KEY refund_by_order (order_id),
    KEY refund_by_status (status, created_at)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

CREATE TABLE refund_ticket (
    refund_id VARCHAR(40) NOT NULL,
    ticket_code VARCHAR(24) NOT NULL,
    PRIMARY KEY (refund_id, ticket_code)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

-- Conflicts push could not prevent (a seat sold by two nodes, a fact about a cancelled event):
-- recorded, never overwritten; the reconciliation job settles them.
CREATE TABLE sync_conflict (
    id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    kind VARCHAR(40) NOT NULL,
    node_id VARCHAR(40) NOT NULL,
    entity_id VARCHAR(64) NOT NULL,
    detail VARCHAR(1000) NOT NULL,
    created_at DATETIME(3) NOT NULL,
    UNIQUE KEY sync_conflict_once (kind, entity_id)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;
