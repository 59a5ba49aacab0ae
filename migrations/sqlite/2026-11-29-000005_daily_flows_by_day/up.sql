-- The dashboard's per-day chart (distributed per material and day) reads this index in day
-- order instead of sorting every distributed row of the covering index: at 1,000,000 movements
-- that query went from 56 ms to 17 ms on SQLite, the whole dashboard SQL from 155 ms to 89 ms.
CREATE INDEX daily_flows_by_day ON daily_flows (material_id, flow, day, quantity);
