-- The append-only audit log, partitioned by month, with room for the per-tenant hash chain.

create sequence audit.events_id_seq as bigint;
comment on sequence audit.events_id_seq is 'Insertion order of audit events (global; gaps are normal).';

create table audit.events (
  tenant_id uuid not null,
  id bigint not null default nextval('audit.events_id_seq'),
  occurred_at timestamptz not null,
  actor_type coord.actor_type not null,
  actor_id uuid,
  actor_name text,
  action text not null,
  target_type text,
  target_id text,
  decision text not null,
  engine text,
  rule text,
  reason text,
  severity text not null default 'info',
  details jsonb not null default '{}',
  request jsonb,
  txid xid8 not null default pg_current_xact_id(),
  -- Filled by the sealer of the governance issue: position in the tenant's chain and its links.
  chain_seq bigint,
  prev_hash bytea,
  hash bytea,
  constraint events_pkey primary key (occurred_at, id),
  constraint events_action_check check (action ~ '^[a-z_]+(\.[a-z_]+)+$'),
  constraint events_severity_check check (severity in ('debug', 'info', 'notice', 'warning', 'critical')),
  constraint events_actor_check check ((actor_type = 'system') = (actor_id is null)),
  constraint events_chain_check check ((chain_seq is null) = (hash is null))
) partition by range (occurred_at);

create index events_tenant_id_idx on audit.events (tenant_id, id);
create index events_tenant_action_idx on audit.events (tenant_id, action, occurred_at);

-- Rows outside every monthly partition land here, so an insert never fails for lack of one.
create table audit.events_default partition of audit.events default;

alter sequence audit.events_id_seq owned by audit.events.id;

comment on table audit.events is 'Append-only log of every mutation and every decision; UPDATE, DELETE and TRUNCATE are refused for everyone.';
comment on column audit.events.decision is 'Outcome of the audited call: a result code such as granted, busy, denied, released, stale_fence.';
comment on column audit.events.engine is 'Policy engine that decided, when an authorization decision was taken (native, later cedar).';
comment on column audit.events.request is 'Request context: method, path, client address and a safe subset of headers (never credentials).';
comment on column audit.events.txid is 'Transaction that wrote the event; events of one call share it.';
comment on column audit.events.chain_seq is 'Position in the tenant''s hash chain, assigned by the sealer; null until sealed.';
comment on column audit.events.hash is 'sha256 over prev_hash and the canonical event; null until sealed.';
