DROP INDEX pending_forms_by_age;
DROP INDEX pending_forms_by_owner;
CREATE TABLE submissions_by_key (
    key TEXT PRIMARY KEY NOT NULL,
    user_id INTEGER NOT NULL REFERENCES users (id),
    fingerprint TEXT NOT NULL,
    result_path TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
INSERT OR IGNORE INTO submissions_by_key (key, user_id, fingerprint, result_path, created_at)
    SELECT key, user_id, fingerprint, result_path, created_at FROM submissions;
DROP TABLE submissions;
ALTER TABLE submissions_by_key RENAME TO submissions;
