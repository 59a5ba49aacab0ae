-- The stock ledger: receipts, shipments, adjustments, counts, the append-only movements,
-- the balance cache, and one-time submission keys.

-- Stock in transit sits at one explicit system location, in no region.
INSERT INTO location_types (code, name_en, name_es, is_depot, created_at)
VALUES ('transit', 'In transit', 'En tránsito', FALSE, CURRENT_TIMESTAMP);
INSERT INTO locations (code, name, location_type_id, region_id, city, country, ownership, contact, is_depot, is_active, created_at, updated_at)
SELECT 'TRANSIT', 'In transit', id, NULL, '', 'VE', NULL, '', FALSE, TRUE, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP
FROM location_types WHERE code = 'transit';

CREATE TABLE receipts (
    id SERIAL PRIMARY KEY,
    material_id INTEGER NOT NULL REFERENCES materials (id),
    location_id INTEGER NOT NULL REFERENCES locations (id),
    quantity INTEGER NOT NULL CHECK (quantity > 0),
    received_on DATE NOT NULL,
    supplier TEXT NOT NULL,
    reference TEXT NOT NULL,
    external_ref TEXT UNIQUE,
    recorded_by INTEGER REFERENCES users (id),
    recorded_at TIMESTAMP NOT NULL
);
CREATE INDEX receipts_material ON receipts (material_id);
CREATE INDEX receipts_location ON receipts (location_id);

CREATE TABLE shipments (
    id SERIAL PRIMARY KEY,
    reference TEXT NOT NULL UNIQUE,
    origin_id INTEGER NOT NULL REFERENCES locations (id),
    destination_id INTEGER NOT NULL REFERENCES locations (id),
    carrier TEXT NOT NULL,
    expected_on DATE,
    status TEXT NOT NULL CHECK (status IN ('draft', 'dispatched', 'delivered', 'cancelled')),
    dispatched_on DATE,
    delivered_on DATE,
    received_by TEXT NOT NULL DEFAULT '',
    delivery_note TEXT NOT NULL DEFAULT '',
    note TEXT NOT NULL DEFAULT '',
    external_ref TEXT UNIQUE,
    created_by INTEGER REFERENCES users (id),
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    CHECK (origin_id <> destination_id)
);
CREATE INDEX shipments_status ON shipments (status, dispatched_on);
CREATE INDEX shipments_origin ON shipments (origin_id);
CREATE INDEX shipments_destination ON shipments (destination_id);

CREATE TABLE shipment_lines (
    id SERIAL PRIMARY KEY,
    shipment_id INTEGER NOT NULL REFERENCES shipments (id),
    material_id INTEGER NOT NULL REFERENCES materials (id),
    quantity INTEGER NOT NULL CHECK (quantity > 0),
    quantity_received INTEGER CHECK (quantity_received IS NULL OR (quantity_received >= 0 AND quantity_received <= quantity)),
    shortfall_reason TEXT CHECK (shortfall_reason IS NULL OR shortfall_reason IN ('lost', 'damaged', 'stolen', 'other')),
    UNIQUE (shipment_id, material_id)
);

CREATE TABLE shipment_events (
    id SERIAL PRIMARY KEY,
    shipment_id INTEGER NOT NULL REFERENCES shipments (id),
    status TEXT NOT NULL,
    at TIMESTAMP NOT NULL,
    user_id INTEGER REFERENCES users (id),
    note TEXT NOT NULL DEFAULT ''
);
CREATE INDEX shipment_events_shipment ON shipment_events (shipment_id);

CREATE TABLE attachments (
    id SERIAL PRIMARY KEY,
    shipment_id INTEGER NOT NULL REFERENCES shipments (id),
    filename TEXT NOT NULL,
    content_type TEXT NOT NULL,
    data BYTEA NOT NULL,
    uploaded_by INTEGER REFERENCES users (id),
    uploaded_at TIMESTAMP NOT NULL
);
CREATE INDEX attachments_shipment ON attachments (shipment_id);

CREATE TABLE stock_counts (
    id SERIAL PRIMARY KEY,
    location_id INTEGER NOT NULL REFERENCES locations (id),
    counted_on DATE NOT NULL,
    note TEXT NOT NULL,
    recorded_by INTEGER REFERENCES users (id),
    recorded_at TIMESTAMP NOT NULL
);

CREATE TABLE adjustments (
    id SERIAL PRIMARY KEY,
    material_id INTEGER NOT NULL REFERENCES materials (id),
    location_id INTEGER NOT NULL REFERENCES locations (id),
    kind TEXT NOT NULL CHECK (kind IN ('loss', 'damage', 'count_up', 'count_down')),
    quantity INTEGER NOT NULL CHECK (quantity > 0),
    effective_on DATE NOT NULL,
    reason TEXT NOT NULL,
    stock_count_id INTEGER REFERENCES stock_counts (id),
    recorded_by INTEGER REFERENCES users (id),
    recorded_at TIMESTAMP NOT NULL
);

-- Append-only. A reversal carries the kind of what it reverses, swapped locations, and
-- reverses_id; sums by kind are therefore signed by whether reverses_id is set.
CREATE TABLE stock_movements (
    id SERIAL PRIMARY KEY,
    material_id INTEGER NOT NULL REFERENCES materials (id),
    from_location_id INTEGER REFERENCES locations (id),
    to_location_id INTEGER REFERENCES locations (id),
    quantity INTEGER NOT NULL CHECK (quantity > 0),
    kind TEXT NOT NULL CHECK (kind IN ('receipt', 'dispatch', 'delivery', 'shortfall', 'return', 'loss', 'damage', 'count_up', 'count_down')),
    effective_on DATE NOT NULL,
    receipt_id INTEGER REFERENCES receipts (id),
    shipment_id INTEGER REFERENCES shipments (id),
    shipment_line_id INTEGER REFERENCES shipment_lines (id),
    adjustment_id INTEGER REFERENCES adjustments (id),
    reverses_id INTEGER UNIQUE REFERENCES stock_movements (id),
    reason TEXT NOT NULL DEFAULT '',
    recorded_by INTEGER REFERENCES users (id),
    recorded_at TIMESTAMP NOT NULL,
    CHECK (from_location_id IS NOT NULL OR to_location_id IS NOT NULL),
    CHECK (from_location_id IS NULL OR to_location_id IS NULL OR from_location_id <> to_location_id)
);
CREATE INDEX stock_movements_material ON stock_movements (material_id, effective_on);
CREATE INDEX stock_movements_from ON stock_movements (from_location_id);
CREATE INDEX stock_movements_to ON stock_movements (kind, to_location_id, material_id, quantity, effective_on);
CREATE INDEX stock_movements_shipment ON stock_movements (shipment_id);
CREATE INDEX stock_movements_receipt ON stock_movements (receipt_id);
CREATE INDEX stock_movements_adjustment ON stock_movements (adjustment_id);

-- A cache of the ledger, updated in the same transaction as each movement.
CREATE TABLE stock_balances (
    id SERIAL PRIMARY KEY,
    material_id INTEGER NOT NULL REFERENCES materials (id),
    location_id INTEGER NOT NULL REFERENCES locations (id),
    on_hand INTEGER NOT NULL DEFAULT 0 CHECK (on_hand >= 0),
    UNIQUE (material_id, location_id)
);
CREATE INDEX stock_balances_location ON stock_balances (location_id);

-- One-time keys of submitted forms: the same key records once.
CREATE TABLE submissions (
    key TEXT PRIMARY KEY NOT NULL,
    user_id INTEGER NOT NULL REFERENCES users (id),
    fingerprint TEXT NOT NULL,
    result_path TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
