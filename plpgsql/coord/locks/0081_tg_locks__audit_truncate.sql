-- TRUNCATE bypasses row triggers, so it gets its own: one lock.direct_change event per
-- tenant that had leases, written before the rows go.
create or replace function coord.tg_locks__audit_truncate()
returns trigger
language plpgsql
set search_path = pg_catalog, pg_temp
as $$
declare
  v_tenant record;
begin
  for v_tenant in
    select l.tenant_id, count(*) as leases, min(l.fence) as min_fence, max(l.fence) as max_fence
    from coord.locks as l
    group by l.tenant_id
  loop
    perform audit.record('lock.direct_change', 'truncate', 'table', 'coord.locks', 'table truncated outside the api',
      jsonb_build_object('leases', v_tenant.leases, 'min_fence', v_tenant.min_fence, 'max_fence', v_tenant.max_fence),
      p_severity => 'warning', p_system => true, p_tenant_id => v_tenant.tenant_id);
  end loop;
  return null;
end;
$$;

comment on function coord.tg_locks__audit_truncate() is 'Trigger: audits TRUNCATE of coord.locks, one event per tenant with the number of leases removed.';
revoke all on function coord.tg_locks__audit_truncate() from public;

create or replace trigger locks_audit_truncate
  before truncate on coord.locks
  for each statement execute function coord.tg_locks__audit_truncate();
alter table coord.locks enable always trigger locks_audit_truncate;
