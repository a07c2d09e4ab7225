-- The tamper-evident chain over audit.events: links written by the asynchronous sealer
-- (audit.seal) into their own append-only table, archives of retired months, and archives
-- brought back for auditors. audit.events itself stays strictly insert-only: its reserved
-- chain_seq / prev_hash / hash columns are left null (an UPDATE carve-out would weaken the
-- refuse-change trigger); the link of an event is the audit.chain_links row with its id.

-- The sealer walks one tenant's unsealed events in chain order (txid, id).
create index events_tenant_txid_idx on audit.events (tenant_id, txid, id);

create table audit.chain_links (
  tenant_id uuid not null,
  chain_seq bigint not null,
  event_id bigint not null,
  occurred_at timestamptz not null,
  txid xid8 not null,
  prev_hash bytea not null,
  hash bytea not null,
  sealed_at timestamptz not null default pg_catalog.clock_timestamp(),
  constraint chain_links_pkey primary key (tenant_id, chain_seq, occurred_at),
  constraint chain_links_event_key unique (event_id, occurred_at),
  constraint chain_links_values_check check (
    chain_seq > 0 and octet_length(prev_hash) = 32 and octet_length(hash) = 32)
) partition by range (occurred_at);

-- Same monthly bounds as audit.events: a retired month drops its events and their links together.
create table audit.chain_links_default partition of audit.chain_links default;

comment on table audit.chain_links is 'Per-tenant hash chain over audit.events, appended by audit.seal in (txid, id) order once every writing transaction has finished; partitioned by the event''s month like audit.events. Append-only.';
comment on column audit.chain_links.chain_seq is 'Position in the tenant''s chain: 1, 2, 3 ... without gaps (an archived prefix continues from audit.archives.last_seq).';
comment on column audit.chain_links.hash is 'sha256(prev_hash || int8send(chain_seq) || canonical event text), see audit.link_hash.';
comment on column audit.chain_links.prev_hash is 'hash of the previous link, or audit.genesis_hash(tenant) for the first link.';
comment on column audit.chain_links.occurred_at is 'The event''s occurred_at (its partition key), copied so the link lives in the same month.';

create table audit.archives (
  tenant_id uuid not null,
  partition_name text not null,
  month date not null,
  archived_at timestamptz not null,
  file_name text not null,
  file_sha256 text not null,
  content_sha256 text not null,
  partition_rows bigint not null,
  tenant_rows bigint not null,
  first_seq bigint,
  first_prev_hash bytea,
  last_seq bigint,
  last_hash bytea,
  last_txid xid8,
  last_event_id bigint,
  event_id bigint,
  constraint archives_pkey primary key (tenant_id, partition_name),
  constraint archives_values_check check (
    file_sha256 ~ '^[0-9a-f]{64}$' and content_sha256 ~ '^[0-9a-f]{64}$'
    and partition_rows >= tenant_rows and tenant_rows >= 0
    and ((tenant_rows = 0) = (last_seq is null)))
);
comment on table audit.archives is 'One row per tenant and retired month: the verified export (file and content sha256) and the tenant''s last archived link, which is where the hot chain resumes. Append-only.';
comment on column audit.archives.content_sha256 is 'sha256 over the sha256 of every canonical line of the month (all tenants, ordered by tenant and chain_seq), recomputed by the database before the month was dropped.';
comment on column audit.archives.last_hash is 'Anchor: hash of the tenant''s last archived link; the first hot link must carry it as prev_hash.';
comment on column audit.archives.event_id is 'The audit.archived event that records this archive in the tenant''s chain.';

create table audit.restored_events (
  tenant_id uuid not null,
  partition_name text not null,
  chain_seq bigint not null,
  event_id bigint not null,
  occurred_at timestamptz not null,
  action text not null,
  event jsonb not null,
  prev_hash bytea not null,
  hash bytea not null,
  restored_at timestamptz not null,
  constraint restored_events_pkey primary key (tenant_id, partition_name, chain_seq)
);
comment on table audit.restored_events is 'Archived months brought back by coord audit restore after their manifest, content hash and links verified; read-only for auditors through api.query_restored_audit.';
comment on column audit.restored_events.event is 'The canonical event (audit.canonical_event) exactly as archived.';
