-- Lists whose order no index served gathered every matching row and sorted them to show one
-- page (EXPLAIN QUERY PLAN: USE TEMP B-TREE FOR ORDER BY; PostgreSQL: Sort). See
-- docs/query-plans.md and tests/app/plans.rs.

-- Shipments by status: status ascending, each status newest first. (status, id) served neither
-- direction, so the first page sorted every shipment (0.86 s on SQLite at a million ledger
-- rows). This order serves the page both ways; it replaces (status, id), whose equalities and
-- ranges it serves as well (an export's `status = ? AND id > ?` walks it backwards), so a write
-- keeps the same number of indexes.
DROP INDEX shipments_by_status_id;
CREATE INDEX shipments_by_status_newest ON shipments (status, id DESC);

-- Shipments from one depot, latest change first: the main depot's 66,000 were found through
-- shipments_origin and sorted (125 ms). shipments_origin stays for the export, which reads a
-- depot's shipments in id order. A shipment is written a few times in its life (drafted,
-- dispatched, delivered): one more index costs those writes little.
CREATE INDEX shipments_by_origin_updated ON shipments (origin_id, updated_at, id);

-- The dashboard's overdue shipments, oldest dispatch first: PostgreSQL sorted each day's
-- shipments by id after walking (status, dispatched_on). The id completes the order; the index
-- replaces the one without it (in-transit reads use its prefix as before).
DROP INDEX shipments_status;
CREATE INDEX shipments_status ON shipments (status, dispatched_on, id);

-- Receipts of one material or at one depot, newest received first: each index now carries the
-- list's order (and the export's, by date) after its column, replacing the one-column index,
-- so a write keeps the same number of indexes.
DROP INDEX receipts_material;
CREATE INDEX receipts_material ON receipts (material_id, received_on, id);
DROP INDEX receipts_location;
CREATE INDEX receipts_location ON receipts (location_id, received_on, id);
