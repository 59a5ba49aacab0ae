DROP INDEX audit_log_entity_newest;
