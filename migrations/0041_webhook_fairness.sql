-- How coord maintain shares one delivery run between tenants: each tenant gets at most
-- per_tenant_per_run deliveries per run (taken round-robin over its webhooks), and the run POSTs
-- up to parallel_tenants tenants' batches side by side, one POST at a time per tenant, so one
-- tenant's failing or slow receivers (retries with backoff, timeouts) use up only its own share.
create table coord.webhook_policy (
  singleton boolean primary key default true,
  per_tenant_per_run integer not null default 10,
  parallel_tenants integer not null default 8,
  updated_at timestamptz not null default pg_catalog.clock_timestamp(),
  constraint webhook_policy_singleton_check check (singleton),
  constraint webhook_policy_values_check check (
    per_tenant_per_run between 1 and 1000 and parallel_tenants between 1 and 64)
);
alter table coord.webhook_policy owner to coord_owner;
insert into coord.webhook_policy default values;
comment on table coord.webhook_policy is 'One row: how coord maintain shares a webhook delivery run between tenants (coord.claim_webhook_round). Change it as a superuser (update coord.webhook_policy set ...); the next run uses it.';
comment on column coord.webhook_policy.per_tenant_per_run is 'At most this many deliveries of one tenant per run, taken round-robin over its webhooks (default 10): a tenant whose receivers fail or hang cannot take the run''s batch.';
comment on column coord.webhook_policy.parallel_tenants is 'How many tenants'' batches one run POSTs side by side (default 8), one POST at a time per tenant: a slow receiver holds only its own tenant''s lane.';
