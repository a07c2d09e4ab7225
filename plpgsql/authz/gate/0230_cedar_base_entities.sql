-- The Cedar entities of a caller that stay the same from call to call: the caller (role, kind,
-- trust, profile) and its profile, built from the verified caller and its effective profile.
-- authz.cedar_evaluate keeps them parsed per backend under a key made of exactly the fields read
-- here (and the interval style), and authz.cedar_decide builds them only when the backend does
-- not have them yet. A field read here that the key does not hold would let a changed profile
-- decide with the entities of its old content: keep both lists the same (tests/test_cedar.py
-- changes each field and expects the entities to be asked for again).
create or replace function authz.cedar_base_entities(p_principal coord.caller, p_profile coord.profiles)
returns jsonb
language plpgsql
stable
set search_path = pg_catalog, pg_temp
as $$
declare
  v_profile_uid jsonb;
  v_agent jsonb;
  v_base jsonb := '[]';
begin
  v_agent := jsonb_build_object('role', p_principal.role, 'kind', p_principal.kind,
                                'trust', coalesce(p_profile.trust_level, 0));
  if p_profile.id is not null then
    v_profile_uid := jsonb_build_object('type', 'AgentType', 'id', p_profile.id::text);
    v_agent := v_agent || jsonb_build_object('profile', jsonb_build_object('__entity', v_profile_uid));
    v_base := jsonb_build_array(jsonb_build_object(
      'uid', v_profile_uid,
      'attrs', jsonb_strip_nulls(jsonb_build_object(
        'name', p_profile.name,
        'trust', p_profile.trust_level,
        'allowed_operations', to_jsonb(p_profile.allowed_operations),
        'allowed_task_kinds', to_jsonb(p_profile.allowed_task_kinds),
        'max_lock_ttl', authz.cedar_interval_usecs(p_profile.max_lock_ttl),
        'max_task_duration', authz.cedar_interval_usecs(p_profile.max_task_duration))),
      'parents', '[]'::jsonb));
  end if;
  return v_base || jsonb_build_array(jsonb_build_object(
    'uid', jsonb_build_object('type', 'Agent', 'id', p_principal.principal_id::text), 'attrs', v_agent,
    'parents', case when v_profile_uid is null then '[]'::jsonb else jsonb_build_array(v_profile_uid) end));
end;
$$;

comment on function authz.cedar_base_entities(coord.caller, coord.profiles) is 'The Cedar entities of the verified caller (role, kind, trust, profile) and of its profile (name, trust, allowed operations and task kinds, max lock ttl and task duration in microseconds): the part of a Cedar request that is the same from call to call, kept parsed per backend by authz.cedar_evaluate under the content of the fields read here (docs/cedar.md).';
revoke all on function authz.cedar_base_entities(coord.caller, coord.profiles) from public;
