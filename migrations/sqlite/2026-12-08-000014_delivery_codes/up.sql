-- The code a delivery note carries to a distribution point. The link token and the short code
-- are derived from the server's key and this row's nonce, so a reprint shows the same code; the
-- row keeps only the token's digest (to find it by) and the short code (to be typed). A new code
-- voids the one before it; one live code per shipment.
CREATE TABLE delivery_codes (
    id INTEGER PRIMARY KEY,
    shipment_id INTEGER NOT NULL REFERENCES shipments (id),
    nonce TEXT NOT NULL,
    token_digest TEXT NOT NULL UNIQUE,
    short_code TEXT NOT NULL UNIQUE,
    issued_at TIMESTAMP NOT NULL,
    issued_by INTEGER REFERENCES users (id),
    voided_at TIMESTAMP,
    -- Wrong PINs typed on this link; at five it is locked until staff unlock it.
    failed_pins INTEGER NOT NULL DEFAULT 0 CHECK (failed_pins >= 0),
    locked_at TIMESTAMP
);
CREATE UNIQUE INDEX delivery_codes_live ON delivery_codes (shipment_id) WHERE voided_at IS NULL;
