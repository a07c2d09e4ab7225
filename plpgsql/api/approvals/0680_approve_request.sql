create or replace function api.approve_request(p_approval_id bigint, p_reason text, p_valid_for interval default null)
returns api.approval_result
language plpgsql
volatile
security definer
set search_path = pg_catalog, pg_temp
set coord.principal_cache = ''
set coord.event_tenant = ''
as $$
declare
  v_decision authz.decision;
begin
  perform coord.check_approval_input(p_reason, true, p_valid_for);
  perform coord.require_read_committed();
  v_decision := authz.gate('approval.decide', 'approval', p_approval_id::text, jsonb_build_object('approval', p_approval_id),
    jsonb_build_object('to', 'approved'));
  if not v_decision.allowed then
    return coord.approval_result(p_approval_id => p_approval_id, p_refusal => v_decision);
  end if;
  return coord.decide_approval(p_approval_id, 'approved', p_reason, p_valid_for, v_decision);
end;
$$;

comment on function api.approve_request(bigint, text, interval) is
'Operators, and agents whose profile has trust 4: approve the pending approval request p_approval_id with p_reason (1-1000 characters). The requester then repeats its call once with p_approval => the id, before the grant expires (p_valid_for, 1 minute to 24 hours, default 1 hour). Code approved; self_approval when the request is yours (or of a principal you act for), not_pending when it is decided, used, cancelled or expired (also a lost race with another approver); denied when the policy refuses (details.rule). Every answer is audited (approval.approve). Errors: CO464 unknown request, CO466 reason, CO467 valid_for, CO213.';
revoke all on function api.approve_request(bigint, text, interval) from public;
grant execute on function api.approve_request(bigint, text, interval) to coord_agent, coord_operator;
