ALTER TABLE imports DROP COLUMN numbers;
