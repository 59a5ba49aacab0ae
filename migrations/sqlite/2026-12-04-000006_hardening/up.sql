-- Submission keys belong to the user who posted them: the same key from another user is a new
-- key, never a way to their record.
CREATE TABLE submissions_by_user (
    key TEXT NOT NULL,
    user_id INTEGER NOT NULL REFERENCES users (id),
    fingerprint TEXT NOT NULL,
    result_path TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (user_id, key)
);
INSERT INTO submissions_by_user (key, user_id, fingerprint, result_path, created_at)
    SELECT key, user_id, fingerprint, result_path, created_at FROM submissions;
DROP TABLE submissions;
ALTER TABLE submissions_by_user RENAME TO submissions;
CREATE INDEX submissions_by_age ON submissions (created_at);

-- Forms kept across a sign-in are capped per browser and overall, oldest dropped first.
CREATE INDEX pending_forms_by_owner ON pending_forms (owner, created_at);
CREATE INDEX pending_forms_by_age ON pending_forms (created_at);
