alter table coord.message_deliveries enable row level security;
alter table coord.message_deliveries force row level security;

-- The tenant wall. Who in the tenant sees which message (its sender and its recipients) is
-- decided by the functions that read them (coord.message_visible).
drop policy if exists message_deliveries_own_tenant on coord.message_deliveries;
create policy message_deliveries_own_tenant on coord.message_deliveries
  for all to coord_owner
  using (tenant_id = (select coord.current_tenant_id()))
  with check (tenant_id = (select coord.current_tenant_id()));

revoke all on coord.message_deliveries from public, coord_authenticator, coord_anon, coord_agent, coord_operator, coord_auditor;
