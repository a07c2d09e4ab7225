create or replace function api.cancel_approval(p_approval_id bigint, p_reason text default null)
returns api.approval_result
language plpgsql
volatile
security definer
set search_path = pg_catalog, pg_temp
set coord.principal_cache = ''
set coord.event_tenant = ''
as $$
declare
  v_me coord.caller := coord.principal();
  v_decision authz.decision;
  v_row coord.approval_requests;
  v_new coord.approval_requests;
begin
  perform coord.check_approval_input(p_reason, false);
  perform coord.require_read_committed();
  v_decision := authz.gate('approval.cancel', 'approval', p_approval_id::text, jsonb_build_object('approval', p_approval_id));
  if not v_decision.allowed then
    return coord.approval_result(p_approval_id => p_approval_id, p_refusal => v_decision);
  end if;
  v_row := coord.visible_approval(p_approval_id);
  if v_row.requester_id <> v_me.principal_id then
    perform coord.approval_audit('approval.cancel', 'not_requester', v_row, 'only the requester cancels a request', '{}',
      'warning', false, v_decision);
    return coord.approval_result('not_requester', p_approval_id,
      format('approval %s is %s''s request: only it cancels; approvers deny', p_approval_id, v_row.requester_name),
      v_row.state, v_row.expires_at);
  end if;
  v_new := coord.set_approval_state(v_me.tenant_id, p_approval_id, 'pending', 'cancelled',
    coalesce(p_reason, 'cancelled by the requester'), v_me.principal_id, v_me.name);
  if v_new.id is null then
    select * into v_row from coord.approval_requests as r where r.tenant_id = v_me.tenant_id and r.id = p_approval_id;
    perform coord.approval_audit('approval.cancel', 'not_pending', v_row, format('approval %s is %s', p_approval_id, v_row.state),
      '{}', 'warning', false, v_decision);
    return coord.approval_result('not_pending', p_approval_id, format('approval %s is %s, not pending', p_approval_id, v_row.state),
      v_row.state, v_row.expires_at);
  end if;
  perform coord.approval_audit('approval.cancel', 'cancelled', v_new, p_reason, '{}', 'info', false, v_decision);
  return coord.approval_result('cancelled', p_approval_id, 'the approval request is cancelled', v_new.state, v_new.expires_at);
end;
$$;

comment on function api.cancel_approval(bigint, text) is
'The requester withdraws its pending approval request p_approval_id (p_reason optional, at most 1000 characters). Code cancelled; not_requester when the request is another principal''s (approvers deny instead), not_pending when it is decided, used or expired (or a racing decision won); denied when the policy refuses (details.rule). Audited (approval.cancel). Errors: CO464 unknown request, CO466 reason, CO213.';
revoke all on function api.cancel_approval(bigint, text) from public;
grant execute on function api.cancel_approval(bigint, text) to coord_agent, coord_operator;
