-- Sync protocol 3: who this central is, versions that no restore of central hands out twice,
-- and the nodes' parameters as central data. Protocol 2 nodes are still served.

-- Made once, when `central migrate` creates the schema, and kept through dumps and restores: a
-- node records it when it joins and refuses to sync with a central that shows another.
CREATE TABLE central_identity (
    id TINYINT NOT NULL PRIMARY KEY,
    central_id CHAR(36) NOT NULL,
    created_at DATETIME(3) NOT NULL
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;
INSERT INTO central_identity (id, central_id, created_at) VALUES (1, UUID(), NOW(3));

-- Allocation versions are central's clock in milliseconds (or one past the last, when larger),
-- so a proposal made after a restore never takes a number a node saw before it.
ALTER TABLE allocation
    MODIFY version BIGINT NOT NULL DEFAULT 0,
    MODIFY proposed_version BIGINT NULL;

-- The version of an event's status, from the same clock: a node's change of status applies
-- only over the version it changed from.
ALTER TABLE event ADD COLUMN status_version BIGINT NOT NULL DEFAULT 0;

-- The reference file's `parameters` (currency, hold and session times, tickets per order, cash
-- change limit, email sender), which nodes pull; node_id '' holds those of every node.
CREATE TABLE node_parameters (
    node_id VARCHAR(40) NOT NULL PRIMARY KEY,
    parameters TEXT NOT NULL,
    updated_at DATETIME(3) NOT NULL
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

UPDATE sync_protocol SET max_version = GREATEST(max_version, 3) WHERE id = 1;
