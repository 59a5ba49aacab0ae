-- Imports: an uploaded file waits here between its preview and its confirmation, so any
-- instance can take the confirmation. Kept after commit (nothing is deleted); a file commits
-- once per kind (committed_hash is set only on commit, and UNIQUE allows many NULLs).

CREATE TABLE imports (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('locations', 'receipts', 'distributions', 'airings', 'targets')),
    file_name TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    content BLOB NOT NULL,
    origin_id INTEGER REFERENCES locations (id),
    status TEXT NOT NULL CHECK (status IN ('pending', 'committed', 'discarded')),
    committed_hash TEXT UNIQUE,
    rows INTEGER NOT NULL,
    report TEXT NOT NULL,
    uploaded_by INTEGER REFERENCES users (id),
    uploaded_at TIMESTAMP NOT NULL,
    committed_by INTEGER REFERENCES users (id),
    committed_at TIMESTAMP,
    lock_ms INTEGER
);
CREATE INDEX imports_hash ON imports (content_hash);
