-- The audit log pages by keyset, newest first, whole or for one kind of record: the id is the
-- key, so one kind's page is a walk of this index instead of a filter over the whole log.
CREATE INDEX audit_log_entity_newest ON audit_log (entity, id);
