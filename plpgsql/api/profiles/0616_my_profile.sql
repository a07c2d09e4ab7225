create or replace function api.my_profile()
returns api.profile
language plpgsql
stable
security definer
set search_path = pg_catalog, pg_temp
set coord.principal_cache = ''
set coord.event_tenant = ''
as $$
declare
  v_me coord.caller := authz.require_read('profile.read');
begin
  return coord.profile_view(coord.effective_profile(v_me));
end;
$$;

comment on function api.my_profile() is 'The profile you act under (your own or the tenant default): trust level and limits. Allowed at every trust level, 0 included. Agents only (operators act with trust 4, auditors with 1). Errors: PT403.';
revoke all on function api.my_profile() from public;
grant execute on function api.my_profile() to coord_agent;
