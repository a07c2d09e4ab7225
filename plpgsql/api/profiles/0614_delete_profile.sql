create or replace function api.delete_profile(p_name text)
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
  v_profile coord.profiles;
  v_decision authz.decision;
  v_view api.profile;
  v_gone jsonb;  -- what goes with the profile (foreign keys cascade): counted, so the audit says so
begin
  select f.* into v_profile from coord.profiles as f
  where f.tenant_id = v_me.tenant_id and f.id = coord.profile_id(v_me.tenant_id, p_name)
  for update;
  v_decision := authz.gate('profile.admin', 'profile', p_name,
    jsonb_build_object('changes_profile', v_profile.id, 'grants_trust', v_profile.trust_level),
    p_event => 'profile.delete');
  if not v_decision.allowed then
    return coord.profile_result(p_profile => p_name, p_refusal => v_decision);
  end if;
  v_view := coord.profile_view(v_profile);
  if v_view.is_default or v_view.agents > 0 then
    perform audit.record('profile.delete', 'in_use', 'profile', p_name, null, to_jsonb(v_view), v_decision);
    return coord.profile_result('in_use', p_name,
      case when v_view.is_default then 'it is the tenant default; make another profile the default first'
           else format('%s agents have it; assign them another profile first', v_view.agents) end,
      jsonb_build_object('is_default', v_view.is_default, 'agents', v_view.agents));
  end if;
  v_gone := jsonb_build_object(
    'network_rules', (select pg_catalog.count(*) from authz.network_rules as r
                      where r.tenant_id = v_me.tenant_id and r.profile_id = v_profile.id),
    'message_rules', (select pg_catalog.count(*) from coord.message_rules as r
                      where r.tenant_id = v_me.tenant_id and (r.from_profile_id = v_profile.id or r.to_profile_id = v_profile.id)),
    'team_memories', (select pg_catalog.count(*) from coord.memories as m
                      where m.tenant_id = v_me.tenant_id and m.team_id = v_profile.id));
  delete from coord.profiles as f where f.tenant_id = v_me.tenant_id and f.id = v_profile.id;
  perform audit.record('profile.delete', 'deleted', 'profile', p_name, null, to_jsonb(v_view) || v_gone, v_decision, 'notice');
  return coord.profile_result('deleted', p_name, null, v_gone);
end;
$$;

comment on function api.delete_profile(text) is
'Operators and trust-4 agents: deletes a profile no agent has and that is not the default; its network rules, the message rules naming it as a team and its team''s memories go with it (details.network_rules, message_rules and team_memories count them, in the result and the audit event). Code deleted; in_use (details.is_default, agents) or denied. Errors: CO462 unknown profile.';
revoke all on function api.delete_profile(text) from public;
grant execute on function api.delete_profile(text) to coord_agent, coord_operator;
