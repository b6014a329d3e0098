-- The catalog (central is its system of record) and what each node may sell.

CREATE TABLE venue (
    id VARCHAR(40) NOT NULL PRIMARY KEY,
    name VARCHAR(200) NOT NULL,
    timezone VARCHAR(64) NOT NULL,
    definition MEDIUMTEXT NOT NULL,
    updated_at DATETIME(3) NOT NULL
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

CREATE TABLE seat (
    venue_id VARCHAR(40) NOT NULL,
    label VARCHAR(40) NOT NULL,
    section VARCHAR(40) NOT NULL,
    row_label VARCHAR(40) NOT NULL,
    number INT NOT NULL,
    PRIMARY KEY (venue_id, label)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

CREATE TABLE event (
    id VARCHAR(40) NOT NULL PRIMARY KEY,
    venue_id VARCHAR(40) NOT NULL,
    name VARCHAR(200) NOT NULL,
    starts_at DATETIME(3) NOT NULL,
    status VARCHAR(10) NOT NULL,
    capacity INT NULL,
    updated_at DATETIME(3) NOT NULL
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

CREATE TABLE price_category (
    event_id VARCHAR(40) NOT NULL,
    code VARCHAR(40) NOT NULL,
    name VARCHAR(200) NOT NULL,
    kind VARCHAR(10) NOT NULL,
    price_minor BIGINT NOT NULL,
    currency CHAR(3) NOT NULL,
    capacity INT NOT NULL,
    sections TEXT NULL,
    PRIMARY KEY (event_id, code)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

-- A node's allocation of a category: the quota it accepted (version), and at most one pending
-- proposal that it has not answered yet.
CREATE TABLE allocation (
    event_id VARCHAR(40) NOT NULL,
    category_code VARCHAR(40) NOT NULL,
    node_id VARCHAR(40) NOT NULL,
    quota INT NOT NULL DEFAULT 0,
    version INT NOT NULL DEFAULT 0,
    proposed_quota INT NULL,
    proposed_version INT NULL,
    proposal_status VARCHAR(10) NULL,
    proposal_error VARCHAR(500) NULL,
    updated_at DATETIME(3) NOT NULL,
    PRIMARY KEY (event_id, category_code, node_id)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

-- Each seat of an event belongs to at most one node (the primary key says so), including seats
-- being added to or removed from a node by a pending proposal.
CREATE TABLE allocation_seat (
    event_id VARCHAR(40) NOT NULL,
    seat_label VARCHAR(40) NOT NULL,
    category_code VARCHAR(40) NOT NULL,
    node_id VARCHAR(40) NOT NULL,
    state VARCHAR(10) NOT NULL,
    PRIMARY KEY (event_id, seat_label),
    KEY allocation_seat_by_node (event_id, category_code, node_id)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;
