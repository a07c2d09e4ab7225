-- The event stream's followers and its delivery to webhooks. The stream itself is a typed view
-- of audit.events (coord.event_types, coord.event_stream); what needs storing is who follows
-- (so writers announce events only while someone listens) and the webhook outbox.

-- A follower registers its backend here (api.follow_events) and LISTENs; audit.record
-- NOTIFYs the tenant's events channel only while a row of the tenant exists. Unlogged: a
-- crash ends every follower's connection anyway.
create unlogged table coord.event_followers (
  tenant_id uuid not null references coord.tenants (id) on delete cascade,
  pid integer not null,
  registered_at timestamptz not null,
  constraint event_followers_pkey primary key (tenant_id, pid)
);
alter table coord.event_followers owner to coord_owner;
comment on table coord.event_followers is 'Backends following a tenant''s event stream (api.follow_events): while one is registered, audit.record announces the tenant''s events on its channel. Rows of ended backends are removed by the tenant''s next registration (until then they cost a NOTIFY per writing transaction, nothing else).';

-- Webhook subscriptions: the event types an operator wants pushed to a URL, signed with the
-- subscription's secret. cursor_* is the stream position the fan-out has reached (the
-- webhook_fanout reads the stream after it with the stream's visibility rule).
create table coord.webhooks (
  tenant_id uuid not null references coord.tenants (id) on delete cascade,
  id bigint generated always as identity primary key,
  name text collate "C" not null,
  url text not null,
  event_types text[] not null,
  secret text not null,
  max_attempts integer not null,
  enabled boolean not null default true,
  cursor_txid xid8 not null,
  cursor_id bigint not null,
  created_by uuid,
  created_at timestamptz not null,
  constraint webhooks_tenant_name_key unique (tenant_id, name),
  constraint webhooks_tenant_id_key unique (tenant_id, id),
  constraint webhooks_values_check check (
    name ~ '^[a-z0-9][a-z0-9_.-]{0,62}$'
    and url ~ '^https?://[^[:space:]]+$' and char_length(url) <= 2000
    and cardinality(event_types) between 1 and 50
    and char_length(secret) between 16 and 200
    and max_attempts between 1 and 100)
);
alter table coord.webhooks owner to coord_owner;
comment on table coord.webhooks is 'Webhook subscriptions of a tenant: URL, event types (coord.event_types; type.* and * match several), signing secret (never listed), attempts before a delivery is dead, and the stream position fanned out so far.';
comment on column coord.webhooks.secret is 'HMAC-SHA256 key of the deliveries'' X-Coord-Signature; readable only inside the database.';

-- The outbox: one row per webhook and event, written by coord.webhook_fanout. The body and its
-- signature are fixed when the row is written, so every retry sends the same bytes with the
-- same idempotency key.
create table coord.webhook_deliveries (
  tenant_id uuid not null,
  id bigint generated always as identity primary key,
  webhook_id bigint not null,
  event_id bigint not null,
  event_type text not null,
  idempotency_key uuid not null,
  body text not null,
  signature text not null,
  state text not null default 'pending',
  attempts integer not null default 0,
  next_attempt_at timestamptz not null,
  claim uuid,
  claimed_until timestamptz,
  last_status integer,
  last_error text,
  created_at timestamptz not null,
  finished_at timestamptz,
  constraint webhook_deliveries_webhook_fkey foreign key (tenant_id, webhook_id)
    references coord.webhooks (tenant_id, id) on delete cascade,
  constraint webhook_deliveries_event_key unique (webhook_id, event_id),
  constraint webhook_deliveries_idempotency_key unique (idempotency_key),
  constraint webhook_deliveries_values_check check (
    state in ('pending', 'delivered', 'dead') and attempts >= 0
    and (state = 'pending') = (finished_at is null)
    and (last_error is null or char_length(last_error) <= 1000))
);
alter table coord.webhook_deliveries owner to coord_owner;
create index webhook_deliveries_due_idx on coord.webhook_deliveries (tenant_id, next_attempt_at) where state = 'pending';
create index webhook_deliveries_tenant_idx on coord.webhook_deliveries (tenant_id, id);
comment on table coord.webhook_deliveries is 'Webhook outbox: one delivery per subscription and event, claimed by the deliverer (coord notify, coord maintain) with SKIP LOCKED, retried with exponential backoff until delivered or dead after the subscription''s max_attempts.';
comment on column coord.webhook_deliveries.idempotency_key is 'Sent as Idempotency-Key with every attempt of this delivery: a receiver that saw it already has the event.';
comment on column coord.webhook_deliveries.signature is 'hex HMAC-SHA256 of body under the subscription''s secret (coord.hmac_sha256), sent as X-Coord-Signature: sha256=<hex>.';
