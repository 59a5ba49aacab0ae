-- The language an import's quantities are read in (its uploader's): `1.500` is fifteen hundred
-- in Spanish and one and a half in English.
ALTER TABLE imports ADD COLUMN numbers TEXT NOT NULL DEFAULT 'en' CHECK (numbers IN ('en', 'es'));

-- A quantity beyond which a record asks to be confirmed; without one, the print run.
ALTER TABLE materials ADD COLUMN quantity_limit INTEGER CHECK (quantity_limit > 0);

-- Reference data has a name in each language, shown in the reader's: the demo campaign is
-- Venezuelan, its materials, campaign and ministry are named in Spanish with English beside.
ALTER TABLE materials RENAME COLUMN name TO name_en;
ALTER TABLE materials ADD COLUMN name_es TEXT NOT NULL DEFAULT '';
UPDATE materials SET name_es = name_en;
ALTER TABLE campaigns RENAME COLUMN name TO name_en;
ALTER TABLE campaigns ADD COLUMN name_es TEXT NOT NULL DEFAULT '';
UPDATE campaigns SET name_es = name_en;
ALTER TABLE campaigns RENAME COLUMN owner TO owner_en;
ALTER TABLE campaigns ADD COLUMN owner_es TEXT NOT NULL DEFAULT '';
UPDATE campaigns SET owner_es = owner_en;
ALTER TABLE regions RENAME COLUMN name TO name_en;
ALTER TABLE regions ADD COLUMN name_es TEXT NOT NULL DEFAULT '';
UPDATE regions SET name_es = name_en;
