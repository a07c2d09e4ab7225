alter table coord.approval_requests enable row level security;
alter table coord.approval_requests force row level security;

drop policy if exists approval_requests_own_tenant on coord.approval_requests;
create policy approval_requests_own_tenant on coord.approval_requests
  for all to coord_owner
  using (tenant_id = (select coord.current_tenant_id()))
  with check (tenant_id = (select coord.current_tenant_id()));

revoke all on coord.approval_requests from public, coord_authenticator, coord_anon, coord_agent, coord_operator, coord_auditor;
