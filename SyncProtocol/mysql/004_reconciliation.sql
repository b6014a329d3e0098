-- The reconciliation job: its runs, the discrepancies it found (one row per stable key, never
-- duplicated by a re-run), and the settlements it made (one per discrepancy, made once).

CREATE TABLE reconciliation_run (
    id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    started_at DATETIME(3) NOT NULL,
    finished_at DATETIME(3) NULL,
    mode VARCHAR(12) NOT NULL,
    scope_event VARCHAR(40) NULL,
    scope_since DATETIME(3) NULL,
    found INT NOT NULL DEFAULT 0,
    opened INT NOT NULL DEFAULT 0,
    resolved INT NOT NULL DEFAULT 0,
    settled INT NOT NULL DEFAULT 0
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

CREATE TABLE discrepancy (
    discrepancy_key VARCHAR(255) NOT NULL PRIMARY KEY,
    class VARCHAR(40) NOT NULL,
    severity VARCHAR(10) NOT NULL,
    event_id VARCHAR(40) NULL,
    node_id VARCHAR(40) NULL,
    entity_id VARCHAR(64) NOT NULL,
    occurred_at DATETIME(3) NULL,
    detail VARCHAR(1000) NOT NULL,
    status VARCHAR(10) NOT NULL,
    first_run_id BIGINT NOT NULL,
    last_run_id BIGINT NOT NULL,
    first_seen_at DATETIME(3) NOT NULL,
    last_seen_at DATETIME(3) NOT NULL,
    resolved_at DATETIME(3) NULL,
    KEY discrepancy_open (status, class),
    KEY discrepancy_by_event (event_id, status)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

CREATE TABLE settlement (
    id VARCHAR(40) NOT NULL PRIMARY KEY,
    discrepancy_key VARCHAR(255) NOT NULL,
    kind VARCHAR(20) NOT NULL,
    node_id VARCHAR(40) NOT NULL,
    order_id VARCHAR(40) NOT NULL,
    ticket_codes TEXT NOT NULL,
    change_seq BIGINT NOT NULL,
    created_at DATETIME(3) NOT NULL,
    UNIQUE KEY settlement_once (discrepancy_key)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;
