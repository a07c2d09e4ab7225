-- Links are appended by audit.seal and read by audit.verify_chain inside the caller's tenant
-- (the admin path runs as the superuser); audit.protect_table refuses UPDATE, DELETE, TRUNCATE.
alter table audit.chain_links enable row level security;
alter table audit.chain_links force row level security;

drop policy if exists chain_links_read_own_tenant on audit.chain_links;
create policy chain_links_read_own_tenant on audit.chain_links
  for select to coord_owner
  using (tenant_id = (select coord.current_tenant_id()));

drop policy if exists chain_links_append_own_tenant on audit.chain_links;
create policy chain_links_append_own_tenant on audit.chain_links
  for insert to coord_owner
  with check (tenant_id = (select coord.current_tenant_id()));

revoke all on audit.chain_links from public, coord_authenticator, coord_anon, coord_agent, coord_operator, coord_auditor;
revoke update, delete, truncate on audit.chain_links from coord_owner;
