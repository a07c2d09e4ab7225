-- PL/pgSQL so the caller is checked first, whatever plan the query gets (a SQL function joining
-- the check to an empty table may never call it).
create or replace function api.my_locks()
returns table (
  path text,
  mode text,
  fence bigint,
  reason text,
  acquired_at timestamptz,
  renewed_at timestamptz,
  expires_at timestamptz,
  repository text
)
language plpgsql
stable
security definer
set search_path = pg_catalog, pg_temp
set coord.principal_cache = ''
set coord.event_tenant = ''
as $$
declare
  v_me coord.caller := authz.require_read('lock.list');
begin
  return query
  select l.path::text, l.mode::text, l.fence, l.reason, l.acquired_at, l.renewed_at, l.expires_at, l.repository::text
  from coord.locks as l
  where l.tenant_id = v_me.tenant_id and l.repository = v_me.repository and l.holder_id = v_me.principal_id
    and l.expires_at > coord.clock_now()
  order by l.path;
end;
$$;

comment on function api.my_locks() is 'Your live leases in your repository (your session''s, else your token''s, else default) with their fences, ordered by path. Read-only.';
revoke all on function api.my_locks() from public;
grant execute on function api.my_locks() to coord_agent, coord_operator;
