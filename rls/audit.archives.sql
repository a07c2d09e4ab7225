-- Archive records are written by the retention procedure (admin path, superuser) and read by
-- operators and auditors of the tenant; never changed.
alter table audit.archives enable row level security;
alter table audit.archives force row level security;

drop policy if exists archives_read_own_tenant on audit.archives;
create policy archives_read_own_tenant on audit.archives
  for select to coord_owner
  using (tenant_id = (select coord.current_tenant_id()));

revoke all on audit.archives from public, coord_authenticator, coord_anon, coord_agent, coord_operator, coord_auditor;
revoke update, delete, truncate on audit.archives from coord_owner;
