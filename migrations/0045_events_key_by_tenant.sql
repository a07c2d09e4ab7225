-- One index fewer on every audit event: the primary key leads with the tenant, (tenant_id, id,
-- occurred_at), and takes the place of events_tenant_id_idx (tenant_id, id). Every reader of
-- audit.events names the tenant: the audit listing and its cursors (id order within the tenant),
-- coord.event_position, the chain checks and the archive joining audit.chain_links on tenant, id
-- and month. So the key serves what both served (checked with EXPLAIN at 1.1 million events);
-- the stream and the sealer keep events_tenant_txid_idx, filtered listings events_tenant_action_idx,
-- alerts events_alertable_idx. ids come from one sequence, so the key is as unique as before;
-- the partition key (occurred_at) must be part of it. An event enters four btrees, not five (the
-- partial index only for alertable decisions): ~65 bytes less WAL per event. docs/benchmarks.md,
-- "Audit events: the primary key by tenant".
alter table audit.events drop constraint events_pkey;
alter table audit.events add constraint events_pkey primary key (tenant_id, id, occurred_at);
drop index audit.events_tenant_id_idx;
