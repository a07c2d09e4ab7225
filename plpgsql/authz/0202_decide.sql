-- The policy gate. The principal comes from the verified identity only. A deny is a value
-- the caller turns into a result (and audits); it is never an error.
-- p_context.grants (a JSON array of scopes) names scopes the action would put on tokens it
-- issues: each must be held by the caller's own token, so nobody mints a broader token.
create or replace function authz.decide(p_action text, p_resource text default null, p_context jsonb default '{}')
returns authz.decision
language plpgsql
stable
set search_path = pg_catalog, pg_temp
as $$
declare
  v_principal api.principal_info := coord.principal();
  v_action record;
  v_missing text;
begin
  select a.scope, a.roles into v_action from authz.actions as a where a.action = p_action;
  if not found then
    perform coord.fail('CO501', format('action %s is not in authz.actions', p_action));
  end if;

  if not (v_principal.role = any (v_action.roles)) then
    return row(false, 'deny', 'native', 'role.not_allowed',
      format('role %s may not %s', v_principal.role, p_action))::authz.decision;
  end if;
  if not authz.scope_granted(v_principal.scopes, v_action.scope) then
    return row(false, 'deny', 'native', 'scope.missing',
      format('token lacks scope %s', v_action.scope))::authz.decision;
  end if;
  select string_agg(distinct g, ', ' order by g) into v_missing
  from jsonb_array_elements_text(case when jsonb_typeof(p_context -> 'grants') = 'array'
                                      then p_context -> 'grants' else '[]' end) as g
  where not authz.scope_granted(v_principal.scopes, g);
  if v_missing is not null then
    return row(false, 'deny', 'native', 'scope.escalation',
      format('token lacks %s, so it cannot issue tokens with it', v_missing))::authz.decision;
  end if;
  return row(true, 'allow', 'native', 'scope.granted',
    format('%s may %s with scope %s', v_principal.role, p_action, v_action.scope))::authz.decision;
end;
$$;

comment on function authz.decide(text, text, jsonb) is 'Policy gate called by every mutating api function before any write: allow or deny with the engine and rule that decided. p_context.grants lists scopes the action would issue; each must be held by the caller (else scope.escalation). Governance extends it with profiles, trust levels and guardrails.';
revoke all on function authz.decide(text, text, jsonb) from public;
