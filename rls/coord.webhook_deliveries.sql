-- The webhook outbox is written by the fan-out and claimed, reported and listed through the api
-- inside the caller's tenant.
alter table coord.webhook_deliveries enable row level security;
alter table coord.webhook_deliveries force row level security;

drop policy if exists webhook_deliveries_own_tenant on coord.webhook_deliveries;
create policy webhook_deliveries_own_tenant on coord.webhook_deliveries
  for all to coord_owner
  using (tenant_id = (select coord.current_tenant_id()))
  with check (tenant_id = (select coord.current_tenant_id()));

revoke all on coord.webhook_deliveries from public, coord_authenticator, coord_anon, coord_agent, coord_operator, coord_auditor;
