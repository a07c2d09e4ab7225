create or replace function api.list_profiles()
returns setof api.profile
language sql
stable
security definer
set search_path = pg_catalog, pg_temp
set coord.principal_cache = ''
as $$
  select coord.profile_view(f)
  from coord.profiles as f
  cross join authz.require_read('profile.list') as me
  where f.tenant_id = me.tenant_id
  order by f.trust_level, f.name;
$$;

comment on function api.list_profiles() is 'Profiles of your tenant with their trust level, limits, whether each is the default and how many agents have it. Read-only. Errors: PT403.';
revoke all on function api.list_profiles() from public;
grant execute on function api.list_profiles() to coord_agent, coord_operator, coord_auditor;
