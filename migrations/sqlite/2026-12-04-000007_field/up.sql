-- The language an import's quantities are read in (its uploader's): `1.500` is fifteen hundred
-- in Spanish and one and a half in English.
ALTER TABLE imports ADD COLUMN numbers TEXT NOT NULL DEFAULT 'en' CHECK (numbers IN ('en', 'es'));

-- A quantity beyond which a record asks to be confirmed; without one, the print run.
ALTER TABLE materials ADD COLUMN quantity_limit INTEGER CHECK (quantity_limit > 0);
