alter table coord.memories enable row level security;
alter table coord.memories force row level security;

-- The tenant wall. Who in the tenant sees which memory (private, team, tenant) is decided by
-- coord.memory_visible in the functions that read them.
drop policy if exists memories_own_tenant on coord.memories;
create policy memories_own_tenant on coord.memories
  for all to coord_owner
  using (tenant_id = (select coord.current_tenant_id()))
  with check (tenant_id = (select coord.current_tenant_id()));

revoke all on coord.memories from public, coord_authenticator, coord_anon, coord_agent, coord_operator, coord_auditor;
-- The candidates of a recall are read by coord.memory_candidates, owned by coord_auth (BYPASSRLS):
-- under row-level security the full-text and vector indexes could not be used.
grant select on coord.memories to coord_auth;
