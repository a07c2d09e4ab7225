-- Nobody raises their own trust through profiles: an agent may not change the profile it acts
-- under (update it, assign itself, or move the default it uses), nor hand out more trust than
-- it has. Returns p_decision when neither applies.
create or replace function authz.profile_guard(
  p_decision authz.decision,
  p_touches uuid,
  p_trust integer,
  p_assignee uuid default null
)
returns authz.decision
language plpgsql
stable
set search_path = pg_catalog, pg_temp
as $$
declare
  v_me api.principal_info := coord.principal();
begin
  if not p_decision.allowed or v_me.role <> 'agent' then
    return p_decision;
  end if;
  if p_assignee = v_me.principal_id or p_touches = (coord.effective_profile(v_me)).id then
    return row(false, 'deny', 'native', 'profile.self_change',
      'an agent may not change the profile it acts under; ask an operator')::authz.decision;
  end if;
  if p_trust > coord.current_trust() then
    return row(false, 'deny', 'native', 'trust.escalation',
      format('trust %s is above your own (%s)', p_trust, coord.current_trust()))::authz.decision;
  end if;
  return p_decision;
end;
$$;

comment on function authz.profile_guard(authz.decision, uuid, integer, uuid) is 'Denies (profile.self_change) an agent changing the profile it acts under or assigning itself, and (trust.escalation) granting trust above its own; else returns p_decision.';
revoke all on function authz.profile_guard(authz.decision, uuid, integer, uuid) from public;
