DROP INDEX locations_by_region_sort_key;
DROP INDEX locations_by_sort_key;
ALTER TABLE regions DROP COLUMN sort_key;
ALTER TABLE locations DROP COLUMN sort_key;
DELETE FROM app_settings WHERE key = 'collation_version';
