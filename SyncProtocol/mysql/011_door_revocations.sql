-- Sync protocol 4, continued: revocations that hold, and one admission per offline scanner read.
-- Only additions: nodes of protocol 2 to 4 are still served.

-- A node revoked as a whole (`central keys revoke NODE` without --key): every key it publishes
-- later is stored revoked at the same cut, with the same reason.
CREATE TABLE node_revocation (
    node_id VARCHAR(40) NOT NULL PRIMARY KEY,
    revoked_after DATETIME(3) NOT NULL,
    revoked_reason VARCHAR(500) NOT NULL,
    revoked_at DATETIME(3) NOT NULL
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

-- The id of the key that signed a ticket (NULL: unsigned, or received before this migration),
-- so that a key's revocation vouches for that key's tickets only.
ALTER TABLE ticket ADD COLUMN key_id INT NULL;

-- The offline scanner whose read a node imported: the same read imported at two nodes is one
-- admission, not a ticket let in twice.
ALTER TABLE ticket_admission ADD COLUMN scanner VARCHAR(40) NULL,
    ADD UNIQUE KEY ticket_admission_by_scanner (ticket_code, scanner, admitted_at);
