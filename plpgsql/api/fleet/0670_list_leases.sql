create or replace function api.list_leases(p_agent text default null)
returns table (
  repository text,
  path text,
  mode text,
  fence bigint,
  holder_name text,
  session_id uuid,
  task_id bigint,
  reason text,
  acquired_at timestamptz,
  renewed_at timestamptz,
  expires_at timestamptz
)
language plpgsql
stable
security definer
set search_path = pg_catalog, pg_temp
set coord.principal_cache = ''
set coord.event_tenant = ''
as $$
declare
  v_me coord.caller := authz.require_read('lock.list_all');
  v_now timestamptz := coord.clock_now();
begin
  return query
  select l.repository::text, l.path::text, l.mode::text, l.fence, p.name, l.session_id, l.task_id, l.reason,
         l.acquired_at, l.renewed_at, l.expires_at
  from coord.locks as l
  join coord.principals as p on p.tenant_id = l.tenant_id and p.id = l.holder_id
  where l.tenant_id = v_me.tenant_id
    and l.expires_at > v_now
    and (p_agent is null or p.name = p_agent)
  order by l.repository, l.path, l.fence;
end;
$$;

comment on function api.list_leases(text) is
'Operators and auditors: every live lease of your tenant (optionally of one holder, p_agent by name), ordered by repository and path: mode, fence, holder, the session and claimed task it belongs to, reason, acquired, renewed and expiry times. Read-only. Errors: PT403.';
revoke all on function api.list_leases(text) from public;
grant execute on function api.list_leases(text) to coord_operator, coord_auditor;
