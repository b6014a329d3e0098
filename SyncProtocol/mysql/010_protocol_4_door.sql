-- Sync protocol 4: the door. Nodes sign the tickets they sell and publish their public keys;
-- central keeps every admission, and tells every door of the venue about keys, admissions,
-- refunded tickets and the tickets it vouches for. Protocol 2 and 3 nodes are still served.

-- Every node's ticket signing keys (public halves only), with head office's revocation.
CREATE TABLE node_key (
    public_key CHAR(64) NOT NULL PRIMARY KEY,
    node_id VARCHAR(40) NOT NULL,
    key_id INT NOT NULL,
    created_at DATETIME(3) NOT NULL,
    retired_at DATETIME(3) NULL,
    revoked_after DATETIME(3) NULL,
    revoked_reason VARCHAR(500) NULL,
    received_at DATETIME(3) NOT NULL,
    KEY node_key_by_node (node_id)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

-- Every admission a node reported, one row each: a ticket let in at two gates while they could
-- not see each other has two rows (`central reconcile`: ticket_admitted_twice).
CREATE TABLE ticket_admission (
    ticket_code VARCHAR(24) NOT NULL,
    node_id VARCHAR(40) NOT NULL,
    admitted_at DATETIME(3) NOT NULL,
    gate VARCHAR(40) NOT NULL DEFAULT '',
    event_id VARCHAR(40) NOT NULL,
    source VARCHAR(10) NOT NULL,
    received_at DATETIME(3) NOT NULL,
    PRIMARY KEY (ticket_code, node_id, admitted_at, gate)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

-- Whether a node signed the ticket (protocol 4). Tickets sold before are unsigned: central
-- vouches for them to the doors.
ALTER TABLE ticket ADD COLUMN signed TINYINT NOT NULL DEFAULT 0;

-- Tickets central told the doors about, by kind (`vouched`, `revoked`), so that each goes out
-- once whoever notices it first (the push that brings it, or reconcile catching up on what
-- nodes of older protocols reported).
CREATE TABLE door_published (
    ticket_code VARCHAR(24) NOT NULL,
    kind VARCHAR(10) NOT NULL,
    published_at DATETIME(3) NOT NULL,
    PRIMARY KEY (ticket_code, kind)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

UPDATE sync_protocol SET max_version = GREATEST(max_version, 4) WHERE id = 1;
