-- Nodes head office retired (`central nodes retire NODE`): a venue closed, a box replaced under a
-- new node id. A retired node is left out of the silence checks and alerts and gets no new
-- allocation; its records stay, and any push or heartbeat from it makes it active again.
-- Only additions: nodes of protocol 2 to 4 are still served.

-- retired_at NULL: active. The reason and the MySQL account that retired it stay after the node
-- is active again, to say which retirement ended. reinstated_at: the last return to active;
-- reinstated_by: the account whose `central nodes reinstate` did it, NULL when the node's own
-- contact brought it back.
ALTER TABLE node ADD COLUMN retired_at DATETIME(3) NULL,
    ADD COLUMN retired_reason VARCHAR(200) NULL,
    ADD COLUMN retired_by VARCHAR(300) NULL,
    ADD COLUMN reinstated_at DATETIME(3) NULL,
    ADD COLUMN reinstated_by VARCHAR(300) NULL;
