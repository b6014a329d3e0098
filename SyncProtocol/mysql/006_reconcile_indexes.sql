-- Reconciliation counts places per event, category and node: GA tickets (no seat) and seats.
-- With the seat label first, both counts read this index alone, and the seated part (or the
-- search for a seat sold twice) never passes over the GA tickets, which are most of them.
ALTER TABLE ticket ADD KEY ticket_places (seat_label, event_id, category_code, node_id, status);
