-- Nodes, the push inbox and the pull change log.
-- Portable SQL: runs on MariaDB 10.11 and MySQL 8 (no VALUES() in upserts, no vendor syntax).

CREATE TABLE node (
    id VARCHAR(40) NOT NULL PRIMARY KEY,
    protocol_version INT NOT NULL DEFAULT 1,
    acknowledged_seq BIGINT NOT NULL DEFAULT 0,
    records_applied BIGINT NOT NULL DEFAULT 0,
    records_parked BIGINT NOT NULL DEFAULT 0,
    outbox_pending BIGINT NOT NULL DEFAULT 0,
    oldest_pending_at DATETIME(3) NULL,
    pull_cursor BIGINT NOT NULL DEFAULT 0,
    last_push_at DATETIME(3) NULL,
    last_seen_at DATETIME(3) NULL,
    created_at DATETIME(3) NOT NULL
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

-- One row per outbox record a node pushed: (node_id, seq) makes a replayed batch change nothing.
CREATE TABLE sync_inbox (
    node_id VARCHAR(40) NOT NULL,
    seq BIGINT NOT NULL,
    record_type VARCHAR(40) NOT NULL,
    entity_id VARCHAR(64) NOT NULL,
    status VARCHAR(10) NOT NULL,
    error TEXT NULL,
    payload MEDIUMTEXT NULL,
    created_at DATETIME(3) NOT NULL,
    received_at DATETIME(3) NOT NULL,
    PRIMARY KEY (node_id, seq),
    KEY sync_inbox_parked (status, node_id)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

-- The change log nodes pull. `seq` comes from change_sequence under its row lock, so seq order is
-- commit order: a change never commits after a later one was already visible to a puller.
CREATE TABLE change_sequence (
    id TINYINT NOT NULL PRIMARY KEY,
    value BIGINT NOT NULL
) ENGINE = InnoDB;
INSERT INTO change_sequence (id, value) VALUES (1, 0);

CREATE TABLE change_log (
    seq BIGINT NOT NULL PRIMARY KEY,
    node_id VARCHAR(40) NOT NULL DEFAULT '',
    change_type VARCHAR(40) NOT NULL,
    entity_id VARCHAR(64) NOT NULL,
    payload MEDIUMTEXT NOT NULL,
    created_at DATETIME(3) NOT NULL,
    KEY change_log_by_node (node_id, seq)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;
