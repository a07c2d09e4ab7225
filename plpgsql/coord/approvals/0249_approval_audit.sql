-- The audit event of an approval transition or refusal, one shape for all of them: action
-- approval.<verb>, the decision (the new state, or the refusal code), target the request,
-- details naming the request's operation hash, requester and target. System events (expiry,
-- approvals by a policy) name the tenant themselves.
create or replace function coord.approval_audit(
  p_action text,
  p_decision text,
  p_request coord.approval_requests,
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
  return audit.record(p_action, p_decision, 'approval', p_request.id::text, p_reason,
    jsonb_strip_nulls(jsonb_build_object(
      'state', p_request.state, 'kind', p_request.kind,
      'operation_hash', pg_catalog.encode(p_request.operation_hash, 'hex'),
      'requester', p_request.requester_name, 'requester_id', p_request.requester_id,
      'target_type', p_request.target_type, 'target_id', p_request.target_id,
      'rules', to_jsonb(p_request.rules), 'scopes', to_jsonb(p_request.scopes),
      'policy_id', p_request.policy_id)) || coalesce(p_details, '{}'),
    p_authz, p_severity, p_system, p_request.tenant_id);
end;
$$;

comment on function coord.approval_audit(text, text, coord.approval_requests, text, jsonb, text, boolean, authz.decision) is 'Audits an approval transition or refusal: event p_action on the request, decision p_decision, details naming the operation hash, requester and target.';
revoke all on function coord.approval_audit(text, text, coord.approval_requests, text, jsonb, text, boolean, authz.decision) from public;
