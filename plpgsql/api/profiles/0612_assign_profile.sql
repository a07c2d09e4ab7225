create or replace function api.assign_profile(p_agent text, p_profile text default null)
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
  v_agent record;
  v_profile coord.profiles;
  v_decision authz.decision;
begin
  select p.id, p.kind into v_agent
  from coord.principals as p where p.tenant_id = v_me.tenant_id and p.name = p_agent;
  if not found or v_agent.kind <> 'agent' then
    perform coord.fail('CO302', format('no agent named %s', coalesce(pg_catalog.quote_literal(left(p_agent, 100)), 'null')));
  end if;
  -- Null means the tenant default.
  select f.* into v_profile from coord.profiles as f
  where f.tenant_id = v_me.tenant_id
    and f.id = case when p_profile is null
                    then (select n.default_profile_id from coord.tenants as n where n.id = v_me.tenant_id)
                    else coord.profile_id(v_me.tenant_id, p_profile) end;
  v_decision := authz.gate('profile.admin', 'principal', v_agent.id::text,
    jsonb_build_object('profile', p_profile, 'changes_principal', v_agent.id, 'grants_trust', v_profile.trust_level),
    jsonb_build_object('agent', p_agent, 'profile', p_profile), p_event => 'profile.assign');
  if not v_decision.allowed then
    return coord.profile_result(p_profile => v_profile.name, p_refusal => v_decision);
  end if;
  perform coord.set_agent_profile(v_me.tenant_id, v_agent.id, p_agent, p_profile, p_authz => v_decision);
  return coord.profile_result('assigned', v_profile.name,
    p_details => jsonb_build_object('agent', p_agent, 'default', p_profile is null));
end;
$$;

comment on function api.assign_profile(text, text) is
'Operators and trust-4 agents: gives agent p_agent the profile p_profile (null: back to the tenant default); it applies from the agent''s next call. Code assigned; denied (an agent may not assign itself, nor a profile with more trust than its own). Errors: CO302 unknown agent, CO462 unknown profile.';
revoke all on function api.assign_profile(text, text) from public;
grant execute on function api.assign_profile(text, text) to coord_agent, coord_operator;
