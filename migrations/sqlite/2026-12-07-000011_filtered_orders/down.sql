DROP INDEX receipts_location;
CREATE INDEX receipts_location ON receipts (location_id);
DROP INDEX receipts_material;
CREATE INDEX receipts_material ON receipts (material_id);
DROP INDEX shipments_status;
CREATE INDEX shipments_status ON shipments (status, dispatched_on);
DROP INDEX shipments_by_origin_updated;
DROP INDEX shipments_by_status_newest;
CREATE INDEX shipments_by_status_id ON shipments (status, id);
