-- Consumes the caller's grant p_approval for exactly this operation on this target. Returns
-- {code, state, reason}: code approved when the grant was approved, unused, unexpired, the
-- caller's own and for this operation hash and target, and is now used (compare-and-set, so of
-- two racing uses one wins); otherwise a refusal code: approval_mismatch (another requester,
-- operation or target, or no such request), approval_used (used before), approval_not_granted
-- (pending, denied, expired or cancelled; state says which). Every answer is audited
-- (approval.use).
create or replace function coord.use_approval(
  p_approval bigint,
  p_operation jsonb,
  p_target_type text,
  p_target_id text,
  p_authz authz.decision default null
)
returns jsonb
language plpgsql
volatile
set search_path = pg_catalog, pg_temp
as $$
declare
  v_me coord.caller := coord.principal();
  v_now timestamptz := coord.now();
  v_row coord.approval_requests;
  v_used coord.approval_requests;
  v_code text;
  v_reason text;
begin
  select * into v_row from coord.approval_requests as r where r.tenant_id = v_me.tenant_id and r.id = p_approval;
  if not found then
    perform audit.record('approval.use', 'approval_mismatch', 'approval', p_approval::text,
      'no approval request with this id', '{}', p_authz, 'warning');
    return jsonb_build_object('code', 'approval_mismatch', 'reason', format('approval %s: no such request', p_approval));
  end if;
  if v_row.requester_id <> v_me.principal_id or v_row.operation_hash <> coord.operation_hash(p_operation)
     or v_row.target_type <> p_target_type or v_row.target_id <> p_target_id then
    v_code := 'approval_mismatch';
    v_reason := format('approval %s is for %s', p_approval,
      case when v_row.requester_id <> v_me.principal_id then 'another requester'
           when v_row.operation_hash <> coord.operation_hash(p_operation) then 'another operation'
           else 'another target' end);
  elsif v_row.state = 'used' then
    v_code := 'approval_used';
    v_reason := format('approval %s was used at %s', p_approval, v_row.used_at);
  elsif v_row.state = 'approved' and v_row.expires_at <= v_now then
    v_used := coord.set_approval_state(v_me.tenant_id, v_row.id, 'approved', 'expired');
    if v_used.id is not null then
      perform coord.approval_audit('approval.expire', 'expired', v_used, 'the grant was not used in time', p_system => true);
      v_row := v_used;
    end if;
    v_code := 'approval_not_granted';
    v_reason := format('approval %s expired unused', p_approval);
  elsif v_row.state <> 'approved' then
    v_code := 'approval_not_granted';
    v_reason := format('approval %s is %s', p_approval, v_row.state);
  else
    v_used := coord.set_approval_state(v_me.tenant_id, v_row.id, 'approved', 'used');
    if v_used.id is null then  -- a racing use won
      select * into v_row from coord.approval_requests as r where r.tenant_id = v_me.tenant_id and r.id = p_approval;
      v_code := case v_row.state when 'used' then 'approval_used' else 'approval_not_granted' end;
      v_reason := format('approval %s is %s', p_approval, v_row.state);
    else
      v_row := v_used;
      v_code := 'approved';
      v_reason := format('allowed by approval %s (%s)', p_approval,
        coalesce('approved by ' || v_row.decided_by_name, 'approved by policy ' || v_row.policy_id::text));
    end if;
  end if;
  perform coord.approval_audit('approval.use', case when v_code = 'approved' then 'used' else v_code end, v_row, v_reason,
    '{}', case when v_code = 'approved' then 'notice' else 'warning' end, false, p_authz);
  return jsonb_build_object('code', v_code, 'state', v_row.state, 'reason', v_reason);
end;
$$;

comment on function coord.use_approval(bigint, jsonb, text, text, authz.decision) is 'Consumes the caller''s approval grant for exactly this operation and target (compare-and-set approved -> used): {code approved | approval_mismatch | approval_used | approval_not_granted, state, reason}, audited approval.use.';
revoke all on function coord.use_approval(bigint, jsonb, text, text, authz.decision) from public;
