-- The audit event of an action transition or refusal, one shape for all of them: action
-- action.<verb>, the decision (the new state, or the refusal code), target the action, details
-- naming its state, claim, attempts, approval request and operation hash, plus what allowed it
-- (p_details: the approval and who decided it, or the claim presented).
create or replace function coord.action_audit(
  p_action text,
  p_decision text,
  p_row coord.actions,
  p_reason text default null,
  p_details jsonb default '{}',
  p_severity text default 'info',
  p_system boolean default false,
  p_authz authz.decision default null
)
returns bigint
language plpgsql
volatile
set search_path = pg_catalog, pg_temp
as $$
begin
  return audit.record(p_action, p_decision, 'action', p_row.id::text, p_reason,
    jsonb_strip_nulls(jsonb_build_object(
      'state', p_row.state, 'kind', p_row.kind, 'claim', p_row.claim, 'attempts', p_row.attempts,
      'approval_id', p_row.approval_id, 'operation_hash', pg_catalog.encode(p_row.operation_hash, 'hex'),
      'proposer', p_row.proposer_name, 'target', p_row.target_name,
      'lease_expires_at', p_row.lease_expires_at)) || coalesce(p_details, '{}'),
    p_authz, p_severity, p_system, p_row.tenant_id);
end;
$$;

comment on function coord.action_audit(text, text, coord.actions, text, jsonb, text, boolean, authz.decision) is 'Audits an action transition or refusal: event p_action on the action, decision p_decision, details naming its state, claim, approval and operation hash.';
revoke all on function coord.action_audit(text, text, coord.actions, text, jsonb, text, boolean, authz.decision) from public;
