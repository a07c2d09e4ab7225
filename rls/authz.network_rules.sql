alter table authz.network_rules enable row level security;
alter table authz.network_rules force row level security;

drop policy if exists network_rules_own_tenant on authz.network_rules;
create policy network_rules_own_tenant on authz.network_rules
  for all to coord_owner
  using (tenant_id = (select coord.current_tenant_id()))
  with check (tenant_id = (select coord.current_tenant_id()));

revoke all on authz.network_rules from public, coord_authenticator, coord_anon, coord_agent, coord_operator, coord_auditor;
