create or replace function api.update_profile(p_name text, p_settings jsonb)
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
  v_before coord.profiles;
  v_profile coord.profiles;
  v_decision authz.decision;
begin
  select f.* into v_before from coord.profiles as f
  where f.tenant_id = v_me.tenant_id and f.id = coord.profile_id(v_me.tenant_id, p_name);
  v_profile := coord.apply_profile_settings(v_before, p_settings);
  v_decision := authz.gate('profile.admin', 'profile', p_name,
    jsonb_build_object('settings', p_settings, 'changes_profile', v_before.id,
                       'grants_trust', greatest(v_profile.trust_level, v_before.trust_level)),
    jsonb_build_object('settings', p_settings), p_event => 'profile.update');
  if not v_decision.allowed then
    return coord.profile_result(p_profile => p_name, p_refusal => v_decision);
  end if;
  v_profile.updated_at := coord.now();
  update coord.profiles as f
  set trust_level = v_profile.trust_level, max_locks = v_profile.max_locks, max_lock_ttl = v_profile.max_lock_ttl,
      max_concurrent_tasks = v_profile.max_concurrent_tasks, allowed_task_kinds = v_profile.allowed_task_kinds,
      allowed_operations = v_profile.allowed_operations, max_task_duration = v_profile.max_task_duration,
      calls_per_hour = v_profile.calls_per_hour, network_default = v_profile.network_default,
      description = v_profile.description, updated_at = v_profile.updated_at
  where f.tenant_id = v_me.tenant_id and f.id = v_before.id;
  perform audit.record('profile.update', 'updated', 'profile', p_name, null,
    jsonb_build_object('settings', p_settings, 'before', to_jsonb(coord.profile_view(v_before))), v_decision, 'notice');
  return coord.profile_result('updated', p_name, p_details => to_jsonb(coord.profile_view(v_profile)));
end;
$$;

comment on function api.update_profile(text, jsonb) is
'Operators and trust-4 agents: changes the settings named in p_settings (p_settings is a JSON object; as create_profile, plus trust_level; null clears a limit) of profile p_name; they apply from the next call of its agents. Code updated with details = the new profile; denied (an agent may not change the profile it acts under, nor raise trust above its own). Errors: CO462 unknown profile, CO463 setting, CO404/CO242 settings over 64 KiB or 32 levels.';
revoke all on function api.update_profile(text, jsonb) from public;
grant execute on function api.update_profile(text, jsonb) to coord_agent, coord_operator;
