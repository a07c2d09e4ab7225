-- One index fewer on every audit event: the primary key leads with the tenant, (tenant_id, id,
-- occurred_at), and takes the place of events_tenant_id_idx (tenant_id, id). Every reader of
-- audit.events names the tenant (the audit listing and its cursors in id order, coord.event_position,
-- the chain checks joining audit.chain_links on tenant, id and month), so the key serves what the
-- old index served; the old key (occurred_at, id) served no reader (a lookup by id alone scanned
-- it whole either way). ids come from one sequence, so the key stays as unique as it was; the
-- partition key (occurred_at) must be part of it. Each event now enters four btrees, not five
-- (the partial events_alertable_idx only for alertable decisions). docs/benchmarks.md, "Audit
-- events: the key by tenant".
alter table audit.events drop constraint events_pkey;
alter table audit.events add constraint events_pkey primary key (tenant_id, id, occurred_at);
drop index audit.events_tenant_id_idx;
