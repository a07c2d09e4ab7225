create or replace function api.fail_action(p_action_id bigint, p_claim bigint, p_error text)
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
  perform coord.check_action_input(p_claim => coalesce(p_claim, 0), p_error => coalesce(p_error, ''));
  perform coord.require_read_committed();
  v_decision := authz.gate('action.fail', 'action', p_action_id::text, '{}', v_audit);
  if not v_decision.allowed then
    return coord.action_result(p_action_id => p_action_id, p_claim => p_claim, p_refusal => v_decision);
  end if;
  v_me := coord.principal();
  perform coord.touch_presence(v_me);
  v_refusal := coord.check_action_claim(v_me, p_action_id, p_claim, 'action.fail', v_decision);
  if v_refusal.code is not null then
    return v_refusal;
  end if;
  v_new := coord.set_action_state(v_me.tenant_id, p_action_id, 'executing', p_claim, 'failed', p_error => p_error);
  perform coord.action_audit('action.fail', 'failed', v_new, p_error, v_audit, 'warning', false, v_decision);
  return coord.action_result('failed', p_action_id, format('action %s failed: %s', p_action_id, p_error), v_new.state,
    v_new.claim, v_new.approval_id);
end;
$$;

comment on function api.fail_action(bigint, bigint, text) is
'The target holding live claim p_claim on action p_action_id: report it failed with p_error (1-1000 characters). Code failed (final: a failed action is not retried; only an expired lease is); stale_fence, expired, not_target as for complete_action; denied when the policy refuses (details.rule). Errors: CO457 unknown action, CO458 claim or error, CO213.';
revoke all on function api.fail_action(bigint, bigint, text) from public;
grant execute on function api.fail_action(bigint, bigint, text) to coord_agent;
