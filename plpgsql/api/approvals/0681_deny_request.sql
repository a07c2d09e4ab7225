create or replace function api.deny_request(p_approval_id bigint, p_reason text)
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
  perform coord.check_approval_input(p_reason, true);
  perform coord.require_read_committed();
  v_decision := authz.gate('approval.decide', 'approval', p_approval_id::text, jsonb_build_object('approval', p_approval_id),
    jsonb_build_object('to', 'denied'));
  if not v_decision.allowed then
    return coord.approval_result(p_approval_id => p_approval_id, p_refusal => v_decision);
  end if;
  return coord.decide_approval(p_approval_id, 'denied', p_reason, null, v_decision);
end;
$$;

comment on function api.deny_request(bigint, text) is
'Operators, and agents whose profile has trust 4: deny the pending approval request p_approval_id with p_reason (1-1000 characters); the requester''s call stays refused. Code rejected (the request is denied); self_approval when the request is yours (or of a principal you act for), not_pending when it is decided, used, cancelled or expired (also a lost race with another approver); a refusal of the policy is code denied with details.rule. Every answer is audited (approval.deny). Errors: CO464 unknown request, CO466 reason, CO213.';
revoke all on function api.deny_request(bigint, text) from public;
grant execute on function api.deny_request(bigint, text) to coord_agent, coord_operator;
