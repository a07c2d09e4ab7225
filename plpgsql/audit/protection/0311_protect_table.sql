-- Make one audit table (the parent or a partition) refuse changes: triggers that fire ALWAYS
-- (even in replica mode) and no UPDATE/DELETE/TRUNCATE privilege, not even for the owner.
create or replace function audit.protect_table(p_table regclass)
returns void
language plpgsql
volatile
set search_path = pg_catalog, pg_temp
as $$
declare
  v_schema text;
  v_name text;
  v_is_partition boolean;
begin
  select n.nspname, c.relname, c.relispartition
  into v_schema, v_name, v_is_partition
  from pg_catalog.pg_class as c
  join pg_catalog.pg_namespace as n on n.oid = c.relnamespace
  where c.oid = p_table;

  -- Row triggers are cloned from the parent onto partitions; TRUNCATE triggers are not.
  if not v_is_partition then
    execute format(
      'create or replace trigger events_refuse_change before update or delete on %I.%I '
      'for each row execute function audit.tg_events__refuse_change()', v_schema, v_name);
    execute format('alter table %I.%I enable always trigger events_refuse_change', v_schema, v_name);
  end if;
  execute format(
    'create or replace trigger events_refuse_truncate before truncate on %I.%I '
    'for each statement execute function audit.tg_events__refuse_change()', v_schema, v_name);
  execute format('alter table %I.%I enable always trigger events_refuse_truncate', v_schema, v_name);
  execute format('revoke update, delete, truncate on %I.%I from public, coord_owner', v_schema, v_name);
  -- Partitions read directly (not through the parent) would skip the parent's policies.
  execute format('alter table %I.%I enable row level security', v_schema, v_name);
  execute format('alter table %I.%I force row level security', v_schema, v_name);
end;
$$;

comment on function audit.protect_table(regclass) is 'Installs the append-only triggers (ENABLE ALWAYS) on an audit table or partition and revokes UPDATE/DELETE/TRUNCATE from everyone.';
revoke all on function audit.protect_table(regclass) from public;
