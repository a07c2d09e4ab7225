alter table authz.guardrails enable row level security;
alter table authz.guardrails force row level security;

drop policy if exists guardrails_own_tenant on authz.guardrails;
create policy guardrails_own_tenant on authz.guardrails
  for all to coord_owner
  using (tenant_id = (select coord.current_tenant_id()))
  with check (tenant_id = (select coord.current_tenant_id()));

revoke all on authz.guardrails from public, coord_authenticator, coord_anon, coord_agent, coord_operator, coord_auditor;
