-- Exports (and lists) read rows in date order by keyset, (day, id) > (last day, last id): each
-- order has its index, so a chunk is a short index walk however large the table.
CREATE INDEX shipments_by_delivered ON shipments (delivered_on, id);
CREATE INDEX receipts_by_date ON receipts (received_on, id);
CREATE INDEX stock_movements_by_day ON stock_movements (effective_on, id);
CREATE INDEX airings_by_date ON airings (aired_on, id);
