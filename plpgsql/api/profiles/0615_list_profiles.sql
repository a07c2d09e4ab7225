-- PL/pgSQL so the caller is checked first, whatever plan the query gets (a SQL function joining
-- the check to an empty table may never call it).
create or replace function api.list_profiles()
returns setof api.profile
language plpgsql
stable
security definer
set search_path = pg_catalog, pg_temp
set coord.principal_cache = ''
set coord.event_tenant = ''
as $$
declare
  v_me coord.caller := authz.require_read('profile.list');
begin
  return query
    select v.*
    from coord.profiles as f
    cross join lateral coord.profile_view(f) as v
    where f.tenant_id = v_me.tenant_id
    order by f.trust_level, f.name;
end;
$$;

comment on function api.list_profiles() is 'Profiles of your tenant with their trust level, limits, whether each is the default and how many agents have it. Read-only. Errors: PT403.';
revoke all on function api.list_profiles() from public;
grant execute on function api.list_profiles() to coord_agent, coord_operator, coord_auditor;
