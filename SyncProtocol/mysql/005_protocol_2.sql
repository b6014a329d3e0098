-- Sync protocol 2: sequence numbers that survive restores of either side, facts kept so that a
-- restored node can take its own back, derived ids long enough for their parts, arrival times
-- and clock offsets from central's clock, and the protocol versions central accepts.

-- The node's epoch (moved on by every restore of its database) and its clock as last reported.
ALTER TABLE node
    ADD COLUMN epoch BIGINT NOT NULL DEFAULT 1,
    ADD COLUMN last_sent_at DATETIME(3) NULL,
    ADD COLUMN clock_offset_ms BIGINT NULL;

-- Every record keeps its payload now, applied or parked: what a restored node takes back.
-- entity_id holds EVENT/CATEGORY (two 40-character codes and a slash); created_at is NULL when
-- a record's own time could not be stored (the record is then parked).
ALTER TABLE sync_inbox
    ADD COLUMN epoch BIGINT NOT NULL DEFAULT 1,
    MODIFY entity_id VARCHAR(128) NOT NULL,
    MODIFY created_at DATETIME(3) NULL,
    ADD KEY sync_inbox_parked_since (status, received_at);

ALTER TABLE change_log MODIFY entity_id VARCHAR(128) NOT NULL;
ALTER TABLE sync_conflict MODIFY entity_id VARCHAR(128) NOT NULL;
ALTER TABLE discrepancy MODIFY entity_id VARCHAR(128) NOT NULL;

-- Who keeps a seat and whose sales go first is decided in central's receipt order, not by the
-- selling node's clock.
ALTER TABLE orders ADD KEY orders_by_received (received_at);
ALTER TABLE refund ADD COLUMN received_at DATETIME(3) NULL;

-- Everything in utf8mb4: the database default and the two tables earlier migrations left to the
-- server's default character set (latin1 on a stock server).
ALTER DATABASE CHARACTER SET utf8mb4 COLLATE utf8mb4_bin;
ALTER TABLE change_sequence CONVERT TO CHARACTER SET utf8mb4 COLLATE utf8mb4_bin;
ALTER TABLE schema_migrations CONVERT TO CHARACTER SET utf8mb4 COLLATE utf8mb4_bin;

-- The sync protocol versions this schema serves. A node outside them reports `incompatible`.
-- Migrations that keep a version working leave this row alone.
CREATE TABLE sync_protocol (
    id TINYINT NOT NULL PRIMARY KEY,
    min_version INT NOT NULL,
    max_version INT NOT NULL
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;
INSERT INTO sync_protocol (id, min_version, max_version) VALUES (1, 2, 2);
