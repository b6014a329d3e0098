-- Reconciliation counts places per event, category and node: GA tickets (no seat) and seats.
-- With the seat label first, both counts read this index alone, and the seated part (or the
-- search for a seat sold twice) never passes over the GA tickets, which are most of them.
ALTER TABLE ticket ADD KEY ticket_places (seat_label, event_id, category_code, node_id, status);

-- A run from a watermark (`central reconcile --since last`) reads the payments central received
-- lately without an order (the rest it reaches from the orders, by `orders_by_received`).
ALTER TABLE payment ADD KEY payment_by_time (created_at);

-- Refunded and cancelled orders, which reconciliation checks for payments kept.
ALTER TABLE orders ADD KEY orders_by_status (status, received_at);
