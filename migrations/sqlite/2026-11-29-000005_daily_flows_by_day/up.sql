-- The dashboard's per-day chart (distributed per material and day) reads this index in day
-- order instead of sorting every distributed row of the covering index, and the region × type
-- table reads it for the date range alone. At 1,000,000 movements (demo --scale 408, SQLite
-- 3.53) the chart's query went from 79 ms to 10 ms. It covers what both read: without region and
-- type in it, SQLite 3.53 chose it for the region × type query and read the table for each row.
CREATE INDEX daily_flows_by_day ON daily_flows (material_id, flow, day, region_id, location_type_id, quantity);
