-- What every call that can answer needs_approval does with it: with p_approval, consume that
-- grant for this operation (coord.use_approval); without, record the request (or find the
-- pending identical one) and, when a policy approved it at once, consume it. Returns {code,
-- approval_id, state, reason}: code approved (go ahead: the grant is used), needs_approval
-- (the request waits for an approver), or the refusal of coord.use_approval.
create or replace function coord.approval_gate(
  p_approval bigint,
  p_kind text,
  p_operation jsonb,
  p_target_type text,
  p_target_id text,
  p_rules text[],
  p_scopes text[],
  p_context jsonb default '{}',
  p_authz authz.decision default null
)
returns jsonb
language plpgsql
volatile
set search_path = pg_catalog, pg_temp
as $$
declare
  v_row coord.approval_requests;
  v_id bigint := p_approval;
  v_use jsonb;
begin
  if v_id is null then
    v_row := coord.request_approval(p_kind, p_operation, p_target_type, p_target_id, p_rules, p_scopes, p_context);
    if v_row.state <> 'approved' then
      return jsonb_build_object('code', 'needs_approval', 'approval_id', v_row.id, 'state', v_row.state,
                                'expires_at', v_row.expires_at);
    end if;
    v_id := v_row.id;  -- a policy approved it: use it at once
  end if;
  v_use := coord.use_approval(v_id, p_operation, p_target_type, p_target_id, p_authz);
  return jsonb_build_object('code', v_use ->> 'code', 'approval_id', v_id, 'state', v_use ->> 'state',
                            'reason', v_use ->> 'reason');
end;
$$;

comment on function coord.approval_gate(bigint, text, jsonb, text, text, text[], text[], jsonb, authz.decision) is 'For a call whose operation needs approval: uses grant p_approval, or records the request (policies may approve and it is used at once). {code approved | needs_approval | approval_mismatch | approval_used | approval_not_granted, approval_id, state, reason}.';
revoke all on function coord.approval_gate(bigint, text, jsonb, text, text, text[], text[], jsonb, authz.decision) from public;
