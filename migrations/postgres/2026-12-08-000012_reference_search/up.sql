-- A search for any part of a shipment's reference had no index: a text that matched few
-- shipments (or none) read every shipment along the list's order to find them. pg_trgm's GIN
-- index serves `lower(reference) LIKE '%…%'` for a text of three characters or more.
-- pg_trgm ships with PostgreSQL and is a trusted extension: a database owner may create it.
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE INDEX shipments_reference_trigrams ON shipments USING gin (lower(reference) gin_trgm_ops);
