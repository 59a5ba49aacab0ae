DROP TRIGGER shipment_references_delete;
DROP TRIGGER shipment_references_update;
DROP TRIGGER shipment_references_insert;
DROP TABLE shipment_references;
