ALTER TABLE materials DROP COLUMN quantity_limit;
ALTER TABLE imports DROP COLUMN numbers;
