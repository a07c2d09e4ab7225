-- Completeness for changes made outside the api: the api functions (running as coord_owner)
-- audit each decision themselves; any other writer of coord.locks, such as a DBA editing the
-- table by hand, leaves a lock.direct_change event in the same transaction. A superuser can
-- always disable triggers, so exempting its sweeps through a setting opens nothing new.
create or replace function coord.tg_locks__audit_direct_change()
returns trigger
language plpgsql
set search_path = pg_catalog, pg_temp
as $$
declare
  v_row record := case when tg_op = 'DELETE' then old else new end;
begin
  -- coord.sweep run by coord maintain (a superuser) audits its own removals as lock.expire.
  if current_user <> 'coord_owner' and pg_catalog.current_setting('coord.sweeping', true) is distinct from 'on' then
    perform audit.record('lock.direct_change', lower(tg_op), 'path', v_row.path, 'changed outside the api',
      jsonb_strip_nulls(jsonb_build_object(
        'old', case when tg_op <> 'INSERT' then to_jsonb(old) end,
        'new', case when tg_op <> 'DELETE' then to_jsonb(new) end)),
      p_severity => 'warning', p_system => true, p_tenant_id => v_row.tenant_id);
  end if;
  return null;
end;
$$;

comment on function coord.tg_locks__audit_direct_change() is 'Trigger: audits INSERT, UPDATE and DELETE on coord.locks made by anyone but the api functions (e.g. a DBA), with the old and new rows.';
revoke all on function coord.tg_locks__audit_direct_change() from public;

-- The WHEN clause keeps the api's own writes (every grant and release) from queueing a trigger
-- event at all; the function checks the same again.
create or replace trigger locks_audit_direct_change
  after insert or update or delete on coord.locks
  for each row
  when (current_user <> 'coord_owner' and pg_catalog.current_setting('coord.sweeping', true) is distinct from 'on')
  execute function coord.tg_locks__audit_direct_change();
alter table coord.locks enable always trigger locks_audit_direct_change;
