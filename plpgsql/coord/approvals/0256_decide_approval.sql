-- An approver's decision on request p_id (p_to approved or denied), after the gate allowed the
-- caller to decide approvals at all (operators; agents at trust 4). Refused as results, each
-- audited: self_approval when the approver acts for the requester (coord.acts_for: never on
-- one's own behalf), not_pending when the request is no longer pending (decided, used,
-- cancelled, or expired, also when it expires on this call) or a racing decision won the
-- compare-and-set.
create or replace function coord.decide_approval(p_id bigint, p_to text, p_reason text, p_valid_for interval,
                                                 p_decision authz.decision)
returns api.approval_result
language plpgsql
volatile
set search_path = pg_catalog, pg_temp
as $$
declare
  v_me coord.caller := coord.principal();
  v_now timestamptz := coord.now();
  v_row coord.approval_requests := coord.visible_approval(p_id);
  v_new coord.approval_requests;
  v_verb text := case p_to when 'approved' then 'approval.approve' else 'approval.deny' end;
  v_expired coord.approval_requests;
begin
  if coord.acts_for(v_me.principal_id, v_row.requester_id) then
    perform coord.approval_audit(v_verb, 'self_approval', v_row, 'an approver never decides its own request', '{}',
      'warning', false, p_decision);
    return coord.approval_result('self_approval', p_id, format('approval %s is your own request: another approver decides it', p_id),
      v_row.state, v_row.expires_at);
  end if;
  if v_row.state = 'pending' and v_row.expires_at <= v_now then
    v_expired := coord.set_approval_state(v_me.tenant_id, p_id, 'pending', 'expired', 'expired unanswered');
    if v_expired.id is not null then
      perform coord.approval_audit('approval.expire', 'expired', v_expired, 'expired unanswered', p_system => true);
    end if;
  end if;
  v_new := coord.set_approval_state(v_me.tenant_id, p_id, 'pending', p_to, p_reason, v_me.principal_id, v_me.name, null,
    case when p_to = 'approved'
         then v_now + coalesce(p_valid_for, (select s.grant_ttl from coord.approval_settings as s)) end);
  if v_new.id is null then
    select * into v_row from coord.approval_requests as r where r.tenant_id = v_me.tenant_id and r.id = p_id;
    perform coord.approval_audit(v_verb, 'not_pending', v_row, format('approval %s is %s', p_id, v_row.state), '{}',
      'warning', false, p_decision);
    return coord.approval_result('not_pending', p_id, format('approval %s is %s, not pending', p_id, v_row.state),
      v_row.state, v_row.expires_at);
  end if;
  perform coord.approval_audit(v_verb, p_to, v_new, p_reason, '{}', 'notice', false, p_decision);
  return coord.approval_result(case p_to when 'approved' then 'approved' else 'rejected' end, p_id,
    case p_to when 'approved' then format('approved: %s may repeat the call with p_approval => %s once, until %s',
                                          v_new.requester_name, p_id, v_new.expires_at)
              else format('denied: %s', p_reason) end,
    v_new.state, v_new.expires_at);
end;
$$;

comment on function coord.decide_approval(bigint, text, text, interval, authz.decision) is 'Approves or denies a pending request for an approver the gate allowed: approved | rejected (the request is denied), or self_approval (coord.acts_for), not_pending (decided, expired or a lost race); each audited.';
revoke all on function coord.decide_approval(bigint, text, text, interval, authz.decision) from public;
