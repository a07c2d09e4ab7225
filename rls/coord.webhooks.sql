-- Webhook subscriptions are managed and read through the api inside the caller's tenant. The
-- secret never leaves the database: api.list_webhooks does not select it, and the deliveries
-- carry only the signature computed from it.
alter table coord.webhooks enable row level security;
alter table coord.webhooks force row level security;

drop policy if exists webhooks_own_tenant on coord.webhooks;
create policy webhooks_own_tenant on coord.webhooks
  for all to coord_owner
  using (tenant_id = (select coord.current_tenant_id()))
  with check (tenant_id = (select coord.current_tenant_id()));

revoke all on coord.webhooks from public, coord_authenticator, coord_anon, coord_agent, coord_operator, coord_auditor;
