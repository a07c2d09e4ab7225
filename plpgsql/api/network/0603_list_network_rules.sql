-- PL/pgSQL so the caller is checked first, whatever plan the query gets (a SQL function joining
-- the check to an empty table may never call it).
create or replace function api.list_network_rules()
returns table (
  rule_id bigint,
  pattern text,
  action text,
  priority integer,
  agent text,
  profile text,
  reason text,
  created_at timestamptz
)
language plpgsql
stable
security definer
set search_path = pg_catalog, pg_temp
set coord.principal_cache = ''
set coord.event_tenant = ''
as $$
declare
  v_me coord.caller := authz.require_read('network.read');
begin
  return query
    select r.id, r.pattern::text, r.action, r.priority, p.name, f.name, r.reason, r.created_at
    from authz.network_rules as r
    left join coord.principals as p on p.tenant_id = r.tenant_id and p.id = r.principal_id
    left join coord.profiles as f on f.tenant_id = r.tenant_id and f.id = r.profile_id
    where r.tenant_id = v_me.tenant_id
    order by r.priority desc, (r.action = 'deny') desc, r.id;
end;
$$;

comment on function api.list_network_rules() is 'Network rules of your tenant (agent or profile set for scoped rules) in the order they are tried (priority, deny before allow, age). Read-only. Errors: PT403.';
revoke all on function api.list_network_rules() from public;
grant execute on function api.list_network_rules() to coord_agent, coord_operator, coord_auditor;
