-- The claim reads the ready tasks of each kind it asks for, in claim order (priority, then
-- age), and stops at its limit. Led by kind, a claim never walks the ready backlog of other
-- kinds, which the tenant-wide tasks_ready_idx (tenant_id, priority desc, id) made it do
-- (docs/benchmarks.md, "Growth"); nothing else reads ready tasks in that order.
create index tasks_kind_ready_idx on coord.tasks (tenant_id, kind, priority desc, id) include (run_after, required_trust)
  where state = 'queued' and pending_deps = 0;
drop index coord.tasks_ready_idx;
comment on index coord.tasks_kind_ready_idx is 'Claimable tasks (queued, every dependency completed) of one kind in claim order: the claim''s candidate scan, one kind at a time.';
