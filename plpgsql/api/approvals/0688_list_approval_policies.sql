create or replace function api.list_approval_policies()
returns setof api.approval_policy
language plpgsql
stable
security definer
set search_path = pg_catalog, pg_temp
set coord.principal_cache = ''
set coord.event_tenant = ''
as $$
declare
  v_me coord.caller := authz.require_read('approval.policy_read');
begin
  return query
  select p.id, p.name, p.kinds, p.rules, p.min_trust, p.path_prefix, p.scopes, p.description, p.created_by_name,
         p.created_at
  from coord.approval_policies as p
  where p.tenant_id = v_me.tenant_id
  order by p.name;
end;
$$;

comment on function api.list_approval_policies() is
'The auto-approval policies of your tenant by name. Read-only. Errors: PT403.';
revoke all on function api.list_approval_policies() from public;
grant execute on function api.list_approval_policies() to coord_agent, coord_operator, coord_auditor;
