-- Nodes head office retired (`central nodes retire NODE`): a venue closed, a box replaced under a
-- new node id. A retired node is left out of the silence checks and alerts and gets no new
-- allocation; its records stay, and any push or heartbeat from it makes it active again.
-- Only additions: nodes of protocol 2 to 4 are still served.

-- retired_at, retired_reason, retired_by: the last retirement, kept after it ended to say which
-- one did. reinstated_at, reinstated_by: the last `central nodes reinstate` and its MySQL account.
-- A node is retired while retired_at is later than its reinstatement and than its last contact:
-- contact after it (last_seen_at) ends a retirement by itself, writing nothing.
ALTER TABLE node ADD COLUMN retired_at DATETIME(3) NULL,
    ADD COLUMN retired_reason VARCHAR(200) NULL,
    ADD COLUMN retired_by VARCHAR(300) NULL,
    ADD COLUMN reinstated_at DATETIME(3) NULL,
    ADD COLUMN reinstated_by VARCHAR(300) NULL;
