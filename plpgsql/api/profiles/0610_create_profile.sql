create or replace function api.create_profile(p_name text, p_trust_level integer, p_settings jsonb default '{}')
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
begin
  if p_name is null or p_name !~ '^[a-z0-9][a-z0-9_.-]{0,62}$' then
    perform coord.fail('CO461', format('profile name %s', coalesce(pg_catalog.quote_literal(left(p_name, 100)), 'null')));
  end if;
  v_profile.tenant_id := v_me.tenant_id;
  v_profile.name := p_name;
  v_profile := coord.apply_profile_settings(v_profile,
    coalesce(p_settings, '{}') || jsonb_build_object('trust_level', p_trust_level));
  v_decision := authz.gate('profile.admin', 'profile', p_name,
    jsonb_build_object('trust_level', p_trust_level, 'grants_trust', p_trust_level), p_event => 'profile.create');
  if not v_decision.allowed then
    return coord.profile_result(p_profile => p_name, p_refusal => v_decision);
  end if;
  if exists (select from coord.profiles as f where f.tenant_id = v_me.tenant_id and f.name = p_name) then
    perform coord.fail('CO304', format('a profile named %s exists', p_name), 'change it with update_profile');
  end if;
  v_profile.id := gen_random_uuid();
  v_profile.created_at := coord.now();
  v_profile.updated_at := v_profile.created_at;
  insert into coord.profiles select v_profile.*;
  perform audit.record('profile.create', 'created', 'profile', p_name, null,
    to_jsonb(coord.profile_view(v_profile)), v_decision, 'notice');
  return coord.profile_result('created', p_name, p_details => to_jsonb(coord.profile_view(v_profile)));
end;
$$;

comment on function api.create_profile(text, integer, jsonb) is
'Operators and trust-4 agents: creates a profile with p_trust_level (0 suspended, 1 read-only, 2 standard, 3 elevated, 4 admin) and the limits in p_settings (p_settings is a JSON object): max_locks, max_lock_ttl, max_concurrent_tasks, allowed_task_kinds, allowed_operations (action names or prefix.*), max_task_duration, calls_per_hour, network_default (allow|deny), description; an absent or null limit means none. Code created with details = the profile; denied (an agent cannot create trust above its own). Errors: CO461 name, CO463 setting, CO404/CO242 settings over 64 KiB or 32 levels, CO304 name taken.';
revoke all on function api.create_profile(text, integer, jsonb) from public;
grant execute on function api.create_profile(text, integer, jsonb) to coord_agent, coord_operator;
