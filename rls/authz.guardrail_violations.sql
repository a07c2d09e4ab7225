alter table authz.guardrail_violations enable row level security;
alter table authz.guardrail_violations force row level security;

drop policy if exists guardrail_violations_own_tenant on authz.guardrail_violations;
create policy guardrail_violations_own_tenant on authz.guardrail_violations
  for all to coord_owner
  using (tenant_id = (select coord.current_tenant_id()))
  with check (tenant_id = (select coord.current_tenant_id()));

revoke all on authz.guardrail_violations from public, coord_authenticator, coord_anon, coord_agent, coord_operator, coord_auditor;
