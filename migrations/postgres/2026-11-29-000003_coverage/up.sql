-- Coverage: broadcast airings, the allocation plan (targets), and the daily flow summary the
-- dashboard reads.

CREATE TABLE airings (
    id SERIAL PRIMARY KEY,
    material_id INTEGER NOT NULL REFERENCES materials (id),
    location_id INTEGER NOT NULL REFERENCES locations (id),
    aired_on DATE NOT NULL,
    times INTEGER NOT NULL CHECK (times > 0),
    time_slot TEXT NOT NULL,
    programme TEXT NOT NULL,
    external_ref TEXT UNIQUE,
    reverses_id INTEGER UNIQUE REFERENCES airings (id),
    reason TEXT NOT NULL DEFAULT '',
    recorded_by INTEGER REFERENCES users (id),
    recorded_at TIMESTAMP NOT NULL
);
CREATE INDEX airings_material_date ON airings (material_id, aired_on);
CREATE INDEX airings_location ON airings (location_id);

CREATE TABLE targets (
    id SERIAL PRIMARY KEY,
    material_id INTEGER NOT NULL REFERENCES materials (id),
    region_id INTEGER NOT NULL REFERENCES regions (id),
    location_type_id INTEGER NOT NULL REFERENCES location_types (id),
    quantity INTEGER NOT NULL CHECK (quantity >= 0),
    updated_by INTEGER REFERENCES users (id),
    updated_at TIMESTAMP NOT NULL,
    UNIQUE (material_id, region_id, location_type_id)
);

-- Net quantity per material, flow, place (region and type; 0 for none) and day, kept by the
-- ledger in the same transaction as each movement. Flows: received, distributed (delivered
-- to a place that is not a depot), transferred (delivered to a depot), lost (loss, damage,
-- shortfall), count_up, count_down. A reversal subtracts from the flow it reverses.
CREATE TABLE daily_flows (
    id SERIAL PRIMARY KEY,
    material_id INTEGER NOT NULL REFERENCES materials (id),
    flow TEXT NOT NULL CHECK (flow IN ('received', 'distributed', 'transferred', 'lost', 'count_up', 'count_down')),
    region_id INTEGER NOT NULL,
    location_type_id INTEGER NOT NULL,
    day DATE NOT NULL,
    quantity BIGINT NOT NULL,
    UNIQUE (material_id, flow, region_id, location_type_id, day)
);
-- Covering: every dashboard query reads this index alone (measured at 1M movements: SQLite's raw
-- dashboard SQL from 130 ms to 67 ms).
CREATE INDEX daily_flows_covering ON daily_flows (material_id, flow, region_id, location_type_id, day, quantity);

-- Backfill from the ledger as it stands. A movement's place is where it arrives (or, for an
-- outward one, where it leaves); a reversal's locations are swapped, so its place is its origin.
INSERT INTO daily_flows (material_id, flow, region_id, location_type_id, day, quantity)
SELECT material_id, flow, region_id, location_type_id, effective_on, SUM(signed)
FROM (
    SELECT m.material_id,
           CASE
               WHEN m.kind = 'receipt' THEN 'received'
               WHEN m.kind = 'delivery' AND l.is_depot THEN 'transferred'
               WHEN m.kind = 'delivery' THEN 'distributed'
               WHEN m.kind IN ('loss', 'damage', 'shortfall') THEN 'lost'
               ELSE m.kind
           END AS flow,
           COALESCE(l.region_id, 0) AS region_id,
           l.location_type_id,
           m.effective_on,
           CASE WHEN m.reverses_id IS NULL THEN m.quantity ELSE -m.quantity END AS signed
    FROM stock_movements m
    JOIN locations l ON l.id = CASE
        WHEN m.reverses_id IS NULL THEN COALESCE(m.to_location_id, m.from_location_id)
        ELSE COALESCE(m.from_location_id, m.to_location_id)
    END
    WHERE m.kind IN ('receipt', 'delivery', 'loss', 'damage', 'shortfall', 'count_up', 'count_down')
) flows
GROUP BY material_id, flow, region_id, location_type_id, effective_on;
