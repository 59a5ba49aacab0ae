-- Names sort as Spanish readers expect (Mérida before Miranda, Cúcuta before Curazao): a
-- collation sort key, computed by the application with ICU4X and compared byte by byte, sits
-- beside each name so the database sorts and pages in the same order on both backends. Empty
-- means "not computed yet": the application fills it in after migrating.
ALTER TABLE locations ADD COLUMN sort_key BYTEA NOT NULL DEFAULT ''::bytea;
ALTER TABLE regions ADD COLUMN sort_key BYTEA NOT NULL DEFAULT ''::bytea;
CREATE INDEX locations_by_sort_key ON locations (sort_key, id);
CREATE INDEX locations_by_region_sort_key ON locations (region_id, sort_key, id);
