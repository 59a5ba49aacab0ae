-- Submission keys belong to the user who posted them: the same key from another user is a new
-- key, never a way to their record.
ALTER TABLE submissions DROP CONSTRAINT submissions_pkey;
ALTER TABLE submissions ADD PRIMARY KEY (user_id, key);
CREATE INDEX submissions_by_age ON submissions (created_at);

-- Forms kept across a sign-in are capped per browser and overall, oldest dropped first.
CREATE INDEX pending_forms_by_owner ON pending_forms (owner, created_at);
CREATE INDEX pending_forms_by_age ON pending_forms (created_at);
