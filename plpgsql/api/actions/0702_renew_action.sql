create or replace function api.renew_action(p_action_id bigint, p_claim bigint, p_lease interval default null)
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
  v_lease interval := coalesce(p_lease, (select s.lease_default from coord.action_settings as s));
  v_refusal api.action_result;
  v_new coord.actions;
  v_audit jsonb := jsonb_strip_nulls(jsonb_build_object('claim', p_claim, 'lease', p_lease));
begin
  perform coord.check_action_input(p_lease => p_lease, p_claim => coalesce(p_claim, 0));
  perform coord.require_read_committed();
  v_decision := authz.gate('action.renew', 'action', p_action_id::text, '{}', v_audit);
  if not v_decision.allowed then
    return coord.action_result(p_action_id => p_action_id, p_claim => p_claim, p_refusal => v_decision);
  end if;
  v_me := coord.principal();
  perform coord.touch_presence(v_me);
  v_refusal := coord.check_action_claim(v_me, p_action_id, p_claim, 'action.renew', v_decision);
  if v_refusal.code is not null then
    return v_refusal;
  end if;
  v_new := coord.set_action_state(v_me.tenant_id, p_action_id, 'executing', p_claim, 'executing',
    p_lease_expires_at => coord.clock_now() + v_lease);
  perform coord.action_audit('action.renew', 'renewed', v_new, null, v_audit, 'info', false, v_decision);
  return coord.action_result('renewed', p_action_id, format('claim %s holds action %s until %s', p_claim, p_action_id,
    v_new.lease_expires_at), v_new.state, v_new.claim, v_new.approval_id, v_new.lease_expires_at);
end;
$$;

comment on function api.renew_action(bigint, bigint, interval) is
'The target holding live claim p_claim on action p_action_id: extend its lease to now + p_lease (1 second to 1 hour, default 5 minutes). Code renewed; stale_fence (the action was claimed again or finished since your claim), expired (the lease already ran out: the action went back to approved, or failed after its last attempt), not_target; denied when the policy refuses (details.rule). Errors: CO457 unknown action, CO458 lease or claim, CO213.';
revoke all on function api.renew_action(bigint, bigint, interval) from public;
grant execute on function api.renew_action(bigint, bigint, interval) to coord_agent;
