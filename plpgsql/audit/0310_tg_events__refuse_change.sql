-- Refuses UPDATE, DELETE and TRUNCATE on the audit log for everyone. Attached by
-- audit.protect_table, enabled ALWAYS so it also fires under session_replication_role = replica.
create or replace function audit.tg_events__refuse_change()
returns trigger
language plpgsql
set search_path = pg_catalog, pg_temp
as $$
begin
  perform coord.fail('CO601', format('%s on %s.%s refused', tg_op, tg_table_schema, tg_table_name));
  return null;
end;
$$;

comment on function audit.tg_events__refuse_change() is 'Trigger: the audit log is append-only; UPDATE, DELETE and TRUNCATE raise CO601.';
revoke all on function audit.tg_events__refuse_change() from public;
