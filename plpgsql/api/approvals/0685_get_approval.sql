create or replace function api.get_approval(p_approval_id bigint)
returns api.approval
language plpgsql
stable
security definer
set search_path = pg_catalog, pg_temp
set coord.principal_cache = ''
set coord.event_tenant = ''
as $$
declare
  v_me coord.caller := authz.require_read('approval.read');
begin
  return coord.approval_view(coord.visible_approval(p_approval_id));
end;
$$;

comment on function api.get_approval(bigint) is
'One approval request: the operation (canonical form and its sha256), requester, target, the rules that asked, the scopes a policy must cover, state, expiry and the decision. Yours; operators, auditors and trust-4 agents see all of the tenant. Read-only. Errors: CO464 unknown request, PT403.';
revoke all on function api.get_approval(bigint) from public;
grant execute on function api.get_approval(bigint) to coord_agent, coord_operator, coord_auditor;
