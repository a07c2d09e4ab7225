-- PL/pgSQL so the caller is checked first, whatever plan the query gets (a SQL function joining
-- the check to an empty table may never call it).
create or replace function api.list_principals()
returns table (
  principal_id uuid,
  name text,
  kind text,
  role text,
  created_at timestamptz,
  disabled_at timestamptz,
  live_tokens bigint,
  live_locks bigint
)
language plpgsql
stable
security definer
set search_path = pg_catalog, pg_temp
set coord.principal_cache = ''
set coord.event_tenant = ''
as $$
declare
  v_me coord.caller := authz.require_read('principal.list');
begin
  return query
    select p.id, p.name, p.kind::text, p.role::text, p.created_at, p.disabled_at,
           (select count(*) from coord.tokens as t
            where t.tenant_id = p.tenant_id and t.principal_id = p.id and t.revoked_at is null
              and (t.expires_at is null or t.expires_at > coord.now())),
           (select count(*) from coord.locks as l
            where l.tenant_id = p.tenant_id and l.holder_id = p.id and l.expires_at > coord.now())
    from coord.principals as p
    where p.tenant_id = v_me.tenant_id
    order by p.name;
end;
$$;

comment on function api.list_principals() is 'Operators and auditors: the agents and users of your tenant with their live token and lease counts.';
revoke all on function api.list_principals() from public;
grant execute on function api.list_principals() to coord_operator, coord_auditor;
