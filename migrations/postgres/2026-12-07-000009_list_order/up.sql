-- Exports (and lists) read rows in date order by keyset, (day, id) > (last day, last id): each
-- order has its index, so a chunk is a short index walk however large the table.
CREATE INDEX shipments_by_delivered ON shipments (delivered_on, id);
CREATE INDEX receipts_by_date ON receipts (received_on, id);
CREATE INDEX stock_movements_by_day ON stock_movements (effective_on, id);
CREATE INDEX airings_by_date ON airings (aired_on, id);

-- The shipments list pages by keyset in each order it offers: latest change (all, or one
-- status), status then newest, reference (its UNIQUE index).
CREATE INDEX shipments_by_updated ON shipments (updated_at, id);
CREATE INDEX shipments_by_status_updated ON shipments (status, updated_at, id);
CREATE INDEX shipments_by_status_id ON shipments (status, id);

-- A material's ledger, newest first, by keyset: the id is part of the key.
DROP INDEX stock_movements_material;
CREATE INDEX stock_movements_material ON stock_movements (material_id, effective_on, id);

-- A place's ledger: its movements out and in, each by material and date, so the page and its
-- capped count read two index ranges instead of every movement of the material.
DROP INDEX stock_movements_from;
CREATE INDEX stock_movements_from ON stock_movements (from_location_id, material_id, effective_on, id);
CREATE INDEX stock_movements_to_place ON stock_movements (to_location_id, material_id, effective_on, id);
