-- Refuses UPDATE, DELETE and TRUNCATE on the audit log for everyone. Attached by
-- audit.protect_table, enabled ALWAYS so it also fires under session_replication_role = replica.
-- Raises by itself rather than through coord.fail: functions outside schema audit are not under
-- the DDL guard (audit.tg_ddl__guard), and a BEFORE TRUNCATE trigger whose error helper was
-- replaced by one that returns would let the TRUNCATE through.
create or replace function audit.tg_events__refuse_change()
returns trigger
language plpgsql
set search_path = pg_catalog, pg_temp
as $$
begin
  raise exception using
    errcode = 'CO601',
    message = 'the audit log is append-only',
    detail = pg_catalog.format('%s on %s.%s refused', tg_op, tg_table_schema, tg_table_name),
    hint = 'audit events are never updated or deleted; retention archives whole partitions';
end;
$$;

comment on function audit.tg_events__refuse_change() is 'Trigger: the audit log is append-only; UPDATE, DELETE and TRUNCATE raise CO601.';
revoke all on function audit.tg_events__refuse_change() from public;
