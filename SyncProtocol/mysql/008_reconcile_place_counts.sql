-- The places the last reconciliation over every event counted, per event, category and node
-- (node_id '' for the category's total, where a seat two nodes sold counts once), and when.
-- A run from the watermark adds the tickets of the orders received since to bound each count
-- from above, and counts every ticket again only where a bound passes a capacity or a quota.
CREATE TABLE reconciliation_places (
    event_id VARCHAR(40) NOT NULL,
    category_code VARCHAR(40) NOT NULL,
    node_id VARCHAR(40) NOT NULL,
    places BIGINT NOT NULL,
    counted_at DATETIME(3) NOT NULL,
    PRIMARY KEY (event_id, category_code, node_id)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;
