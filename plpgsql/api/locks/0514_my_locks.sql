create or replace function api.my_locks()
returns table (
  path text,
  mode text,
  fence bigint,
  reason text,
  acquired_at timestamptz,
  renewed_at timestamptz,
  expires_at timestamptz
)
language sql
volatile
security definer
set search_path = pg_catalog, pg_temp
set coord.principal_cache = ''
as $$
  select l.path, l.mode::text, l.fence, l.reason, l.acquired_at, l.renewed_at, l.expires_at
  from coord.locks as l, authz.require_read('lock.list') as me
  where l.tenant_id = me.tenant_id and l.holder_id = me.principal_id and l.expires_at > coord.clock_now()
  order by l.path;
$$;

comment on function api.my_locks() is 'Your live leases with their fences, ordered by path. Read-only.';
revoke all on function api.my_locks() from public;
grant execute on function api.my_locks() to coord_agent, coord_operator;
