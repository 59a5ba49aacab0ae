DROP INDEX stock_movements_material;
CREATE INDEX stock_movements_material ON stock_movements (material_id, effective_on);
DROP INDEX shipments_by_status_id;
DROP INDEX shipments_by_status_updated;
DROP INDEX shipments_by_updated;
DROP INDEX airings_by_date;
DROP INDEX stock_movements_by_day;
DROP INDEX receipts_by_date;
DROP INDEX shipments_by_delivered;
