-- Product configuration: coord.claim_webhook_round reads how a delivery run is shared between
-- tenants; only superusers change it.
alter table coord.webhook_policy enable row level security;
alter table coord.webhook_policy force row level security;

drop policy if exists webhook_policy_read on coord.webhook_policy;
create policy webhook_policy_read on coord.webhook_policy for select to coord_owner using (true);

revoke all on coord.webhook_policy from public, coord_authenticator, coord_anon, coord_agent, coord_operator, coord_auditor;
