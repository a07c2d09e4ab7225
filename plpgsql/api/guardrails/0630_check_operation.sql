create or replace function api.check_operation(p_kind text, p_text text)
returns api.guardrail_decision
language plpgsql
volatile
security definer
set search_path = pg_catalog, pg_temp
set coord.principal_cache = ''
as $$
declare
  v_me coord.caller := coord.principal();
  v_decision authz.decision;
  v_trust smallint;
  v_eval jsonb;
  v_violation bigint;
begin
  perform coord.check_operation_input(p_kind, p_text);
  v_decision := authz.gate('guardrail.check', 'operation', p_kind);
  if not v_decision.allowed then
    return coord.guardrail_result(p_kind => p_kind, p_refusal => v_decision);
  end if;
  v_trust := coord.current_trust();
  v_eval := coord.guard_evaluate(v_me.tenant_id, p_kind, p_text, v_trust);
  v_violation := coord.record_guard_check(p_kind, p_text, v_eval, null, v_decision);
  return coord.guardrail_result(v_eval ->> 'code', p_kind, v_eval ->> 'reason', v_eval ->> 'normalized',
    v_eval -> 'matches', (v_eval ->> 'overridden')::boolean, v_trust, v_violation);
end;
$$;

comment on function api.check_operation(text, text) is
'May you run this? p_kind is command (shell text), sql (SQL text) or path (a file you will write or delete). The text is normalized (chains, pipelines, sh -c / bash -lc / env / sudo / xargs wrappers, substitutions, quotes, $IFS, binary paths, merged and reordered flags; SQL without comments and literals; paths collapsed) and matched against your tenant''s enabled guardrail rules. Code allowed (ok; overridden when your trust overrode a low/medium rule at trust 3 or a high one at trust 4, which is recorded), blocked or needs_approval, with the matching rules and the normalized units; critical rules are never overridden. A refusal of the policy is denied (details.rule). Every check is audited; blocks, approvals needed and overrides are kept as violations. Errors: CO471 kind, CO472 empty or longer than 10000 characters.';
revoke all on function api.check_operation(text, text) from public;
grant execute on function api.check_operation(text, text) to coord_agent, coord_operator;
