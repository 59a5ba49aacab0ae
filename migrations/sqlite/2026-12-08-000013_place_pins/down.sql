ALTER TABLE locations DROP COLUMN confirm_pin_set_at;
ALTER TABLE locations DROP COLUMN confirm_pin_hash;
