create or replace function api.set_default_profile(p_profile text)
returns api.profile_result
language plpgsql
volatile
security definer
set search_path = pg_catalog, pg_temp
set coord.principal_cache = ''
set coord.event_tenant = ''
as $$
declare
  v_me coord.caller := coord.principal();
  v_id uuid := coord.profile_id(v_me.tenant_id, p_profile);
  v_old uuid := (select n.default_profile_id from coord.tenants as n where n.id = v_me.tenant_id);
  v_trust integer := (select f.trust_level from coord.profiles as f where f.tenant_id = v_me.tenant_id and f.id = v_id);
  v_decision authz.decision;
begin
  -- Moving the default changes every agent without a profile: the caller may not be one of them.
  v_decision := authz.gate('profile.admin', 'profile', p_profile,
    jsonb_build_object('changes_profile', v_old, 'grants_trust', v_trust), p_event => 'profile.set_default');
  if not v_decision.allowed then
    return coord.profile_result(p_profile => p_profile, p_refusal => v_decision);
  end if;
  update coord.tenants as n set default_profile_id = v_id where n.id = v_me.tenant_id;
  perform audit.record('profile.set_default', 'default_set', 'profile', p_profile, null,
    jsonb_build_object('before', (select f.name from coord.profiles as f where f.tenant_id = v_me.tenant_id and f.id = v_old)),
    v_decision, 'notice');
  return coord.profile_result('default_set', p_profile);
end;
$$;

comment on function api.set_default_profile(text) is
'Operators and trust-4 agents: makes p_profile the tenant default, the profile of every agent without one of its own (from their next call). Code default_set; denied (an agent may not move the default it acts under, nor to more trust than its own). Errors: CO462 unknown profile.';
revoke all on function api.set_default_profile(text) from public;
grant execute on function api.set_default_profile(text) to coord_agent, coord_operator;
