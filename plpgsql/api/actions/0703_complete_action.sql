create or replace function api.complete_action(p_action_id bigint, p_claim bigint, p_result jsonb default '{}')
returns api.action_result
language plpgsql
volatile
security definer
set search_path = pg_catalog, pg_temp
set coord.principal_cache = ''
set coord.event_tenant = ''
as $$
declare
  v_me coord.caller;
  v_decision authz.decision;
  v_refusal api.action_result;
  v_new coord.actions;
  v_audit jsonb := jsonb_build_object('claim', p_claim);
begin
  perform coord.check_action_input(p_claim => coalesce(p_claim, 0), p_result => coalesce(p_result, '{}'));
  perform coord.require_read_committed();
  v_decision := authz.gate('action.complete', 'action', p_action_id::text, '{}', v_audit);
  if not v_decision.allowed then
    return coord.action_result(p_action_id => p_action_id, p_claim => p_claim, p_refusal => v_decision);
  end if;
  v_me := coord.principal();
  perform coord.touch_presence(v_me);
  v_refusal := coord.check_action_claim(v_me, p_action_id, p_claim, 'action.complete', v_decision);
  if v_refusal.code is not null then
    return v_refusal;
  end if;
  v_new := coord.set_action_state(v_me.tenant_id, p_action_id, 'executing', p_claim, 'executed',
    p_result => coalesce(p_result, '{}'));
  perform coord.action_audit('action.complete', 'executed', v_new, null, v_audit, 'notice', false, v_decision);
  return coord.action_result('executed', p_action_id, format('action %s is executed', p_action_id), v_new.state,
    v_new.claim, v_new.approval_id);
end;
$$;

comment on function api.complete_action(bigint, bigint, jsonb) is
'The target holding live claim p_claim on action p_action_id: report it executed with p_result (a JSON object up to 64 KiB). Code executed (final); stale_fence (the action was claimed again or finished since your claim: a late report never lands), expired (the lease ran out first: the action went back to approved, or failed after its last attempt), not_target; denied when the policy refuses (details.rule). Errors: CO457 unknown action, CO458 claim or result, CO213.';
revoke all on function api.complete_action(bigint, bigint, jsonb) from public;
grant execute on function api.complete_action(bigint, bigint, jsonb) to coord_agent;
