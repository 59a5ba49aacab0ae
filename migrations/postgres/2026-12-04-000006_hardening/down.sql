DROP INDEX pending_forms_by_age;
DROP INDEX pending_forms_by_owner;
DROP INDEX submissions_by_age;
ALTER TABLE submissions DROP CONSTRAINT submissions_pkey;
DELETE FROM submissions a USING submissions b WHERE a.key = b.key AND a.ctid < b.ctid;
ALTER TABLE submissions ADD PRIMARY KEY (key);
