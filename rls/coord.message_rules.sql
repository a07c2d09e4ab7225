alter table coord.message_rules enable row level security;
alter table coord.message_rules force row level security;

-- The tenant wall: a tenant's allowlist decides and is shown within that tenant only.
drop policy if exists message_rules_own_tenant on coord.message_rules;
create policy message_rules_own_tenant on coord.message_rules
  for all to coord_owner
  using (tenant_id = (select coord.current_tenant_id()))
  with check (tenant_id = (select coord.current_tenant_id()));

revoke all on coord.message_rules from public, coord_authenticator, coord_anon, coord_agent, coord_operator, coord_auditor;
