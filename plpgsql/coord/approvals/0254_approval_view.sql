-- api.approval of a request row (list_approvals, get_approval).
create or replace function coord.approval_view(p_request coord.approval_requests)
returns api.approval
language sql
stable
set search_path = pg_catalog, pg_temp
as $$
  select row(p_request.id, p_request.state, p_request.requester_name, p_request.session_id, p_request.kind,
             p_request.operation, pg_catalog.encode(p_request.operation_hash, 'hex'), p_request.target_type,
             p_request.target_id, p_request.rules, p_request.scopes, p_request.trust, p_request.context,
             p_request.created_at, p_request.expires_at, p_request.decided_at, p_request.decided_by_name,
             (select p.name from coord.approval_policies as p
              where p.tenant_id = p_request.tenant_id and p.id = p_request.policy_id),
             p_request.decision_reason, p_request.used_at)::api.approval;
$$;

comment on function coord.approval_view(coord.approval_requests) is 'The api.approval shape of an approval request.';
revoke all on function coord.approval_view(coord.approval_requests) from public;
