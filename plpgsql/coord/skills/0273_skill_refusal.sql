-- What the skill of the caller's session says about a call: null when the manifest covers it
-- (or the call runs under no skill: callers test p_me.skill_id first, so a call without one
-- pays nothing), else the refusal {allowed false, kind, target, needs, reason, skill, skill_name,
-- skill_version}, ready for the result and its audit event. The decision is coord.skill_decision.
create or replace function coord.skill_refusal(p_me coord.caller, p_kind text, p_target text, p_mode text default null,
                                               p_requested text default null)
returns jsonb
language plpgsql
stable
set search_path = pg_catalog, pg_temp
as $$
declare
  v_skill coord.skills;
  v_decision jsonb;
begin
  if p_me.skill_id is null then
    return null;
  end if;
  select * into v_skill from coord.skills as s where s.tenant_id = p_me.tenant_id and s.id = p_me.skill_id;
  v_decision := coord.skill_decision(coalesce(v_skill.manifest, '{}'), p_kind, p_target, p_mode, p_requested);
  if (v_decision ->> 'allowed')::boolean then
    return null;
  end if;
  return v_decision || jsonb_build_object(
    'skill', v_skill.name || '@' || v_skill.version, 'skill_name', v_skill.name, 'skill_version', v_skill.version,
    'reason', format('outside skill %s@%s: %s', v_skill.name, v_skill.version, v_decision ->> 'reason'));
end;
$$;

comment on function coord.skill_refusal(coord.caller, text, text, text, text) is 'Null when the caller runs no skill or its manifest covers the call (coord.skill_decision), else the refusal {allowed, kind, target, needs, reason, skill, skill_name, skill_version} for an outside_skill result and its audit event.';
revoke all on function coord.skill_refusal(coord.caller, text, text, text, text) from public;
