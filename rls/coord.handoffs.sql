alter table coord.handoffs enable row level security;
alter table coord.handoffs force row level security;

drop policy if exists handoffs_own_tenant on coord.handoffs;
create policy handoffs_own_tenant on coord.handoffs
  for all to coord_owner
  using (tenant_id = (select coord.current_tenant_id()))
  with check (tenant_id = (select coord.current_tenant_id()));

revoke all on coord.handoffs from public, coord_authenticator, coord_anon, coord_agent, coord_operator, coord_auditor;
