-- coord:superuser
-- The audit trail's DDL guard and its exported chain head; locks cover their subtree.
-- Superuser because event triggers belong to one (CREATE EVENT TRIGGER needs it); their
-- function belongs to coord_owner like every object and gets its body from
-- plpgsql/audit/0317_tg_ddl__guard.sql, re-applied right after the migrations (until then this
-- placeholder refuses nothing; coord migrate runs both in one go; "or replace": a tree whose
-- plpgsql/ was re-applied before this migration already has the function).

-- api.verify_audit takes the head an operator saved (p_head): a new signature.
drop function if exists api.verify_audit(boolean);  -- absent on a fresh install (plpgsql/ comes after)

create or replace function audit.tg_ddl__guard() returns event_trigger
language plpgsql set search_path = pg_catalog, pg_temp as $$ begin end $$;
alter function audit.tg_ddl__guard() owner to coord_owner;
revoke all on function audit.tg_ddl__guard() from public;

-- ddl_command_start: concurrent detaches (they commit a first step before ddl_command_end) and
-- the privileges before GRANT/REVOKE; ddl_command_end: every other change; sql_drop: drops.
-- ENABLE ALWAYS: they fire under session_replication_role = replica too.
create event trigger coord_audit_guard_start on ddl_command_start execute function audit.tg_ddl__guard();
create event trigger coord_audit_guard_end on ddl_command_end execute function audit.tg_ddl__guard();
create event trigger coord_audit_guard_drop on sql_drop execute function audit.tg_ddl__guard();
alter event trigger coord_audit_guard_start enable always;
alter event trigger coord_audit_guard_end enable always;
alter event trigger coord_audit_guard_drop enable always;
comment on event trigger coord_audit_guard_start is 'Audit DDL guard (audit.tg_ddl__guard): concurrent detaches and privileges before GRANT/REVOKE.';
comment on event trigger coord_audit_guard_end is 'Audit DDL guard (audit.tg_ddl__guard): refuses DDL on the audit trail outside retention and migrations.';
comment on event trigger coord_audit_guard_drop is 'Audit DDL guard (audit.tg_ddl__guard): refuses dropping any part of the audit trail.';

comment on column coord.locks.path is 'Canonical repository-relative path. A lease covers this node and everything below it; a trailing / says the path is a directory and changes no overlap (src and src/ are one node).';
