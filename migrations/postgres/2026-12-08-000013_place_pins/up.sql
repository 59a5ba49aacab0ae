-- A distribution point's own confirmation PIN: the recipient types it to confirm a delivery,
-- so that the delivery note the carrier holds is not enough on its own. Stored as an argon2id
-- hash (the PIN is shown to staff once, on the place card); NULL until staff make one.
ALTER TABLE locations ADD COLUMN confirm_pin_hash TEXT;
ALTER TABLE locations ADD COLUMN confirm_pin_set_at TIMESTAMP;
