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

-- What a recipient said through a delivery note's code, without an account: who they are, when,
-- from which address, and what arrived per line. A correction within the hour is a new row
-- that supersedes the first; nothing is overwritten.
CREATE TABLE recipient_confirmations (
    id INTEGER PRIMARY KEY,
    shipment_id INTEGER NOT NULL REFERENCES shipments (id),
    code_id INTEGER NOT NULL REFERENCES delivery_codes (id),
    confirmer_name TEXT NOT NULL,
    confirmer_role TEXT NOT NULL,
    -- Shown to staff only, never on the recipient's page.
    phone TEXT NOT NULL DEFAULT '',
    confirmed_at TIMESTAMP NOT NULL,
    ip TEXT NOT NULL DEFAULT '',
    -- The form's one-time key: the same post again shows this record and writes nothing.
    submission_key TEXT NOT NULL UNIQUE,
    -- Units sent but not received, left in transit as disputed until staff resolve them.
    disputed_units INTEGER NOT NULL DEFAULT 0 CHECK (disputed_units >= 0),
    supersedes_id INTEGER REFERENCES recipient_confirmations (id),
    superseded_at TIMESTAMP,
    -- How staff settled the disputed units: 'arrived' (delivered after all) or 'lost' (a loss
    -- with the line's reason); NULL while open.
    resolution TEXT CHECK (resolution IN ('arrived', 'lost')),
    resolved_at TIMESTAMP,
    resolved_by INTEGER REFERENCES users (id),
    resolution_note TEXT NOT NULL DEFAULT ''
);
CREATE INDEX recipient_confirmations_shipment ON recipient_confirmations (shipment_id);

CREATE TABLE recipient_confirmation_lines (
    confirmation_id INTEGER NOT NULL REFERENCES recipient_confirmations (id),
    shipment_line_id INTEGER NOT NULL REFERENCES shipment_lines (id),
    received INTEGER NOT NULL CHECK (received >= 0),
    shortfall_reason TEXT,
    PRIMARY KEY (confirmation_id, shipment_line_id)
);

-- When staff recorded the delivery first, the recipient may say through the link whether they
-- agree with it; a disagreement is kept and shown to logistics staff. One answer per code.
CREATE TABLE recipient_responses (
    id INTEGER PRIMARY KEY,
    shipment_id INTEGER NOT NULL REFERENCES shipments (id),
    code_id INTEGER NOT NULL UNIQUE REFERENCES delivery_codes (id),
    agrees BOOLEAN NOT NULL,
    note TEXT NOT NULL DEFAULT '',
    confirmer_name TEXT NOT NULL,
    confirmer_role TEXT NOT NULL,
    phone TEXT NOT NULL DEFAULT '',
    ip TEXT NOT NULL DEFAULT '',
    responded_at TIMESTAMP NOT NULL,
    submission_key TEXT NOT NULL UNIQUE
);
CREATE INDEX recipient_responses_shipment ON recipient_responses (shipment_id);
