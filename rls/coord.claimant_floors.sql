-- Read and written only by coord's code acting for the tenant (the claim and the task state
-- machine's trigger), like coord.tasks.
alter table coord.claimant_floors enable row level security;
alter table coord.claimant_floors force row level security;

drop policy if exists claimant_floors_own_tenant on coord.claimant_floors;
create policy claimant_floors_own_tenant on coord.claimant_floors
  for all to coord_owner
  using (tenant_id = (select coord.current_tenant_id()))
  with check (tenant_id = (select coord.current_tenant_id()));

revoke all on coord.claimant_floors from public, coord_authenticator, coord_anon, coord_agent, coord_operator, coord_auditor;
