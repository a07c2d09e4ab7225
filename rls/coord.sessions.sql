alter table coord.sessions enable row level security;
alter table coord.sessions force row level security;

drop policy if exists sessions_own_tenant on coord.sessions;
create policy sessions_own_tenant on coord.sessions
  for all to coord_owner
  using (tenant_id = (select coord.current_tenant_id()))
  with check (tenant_id = (select coord.current_tenant_id()));

revoke all on coord.sessions from public, coord_authenticator, coord_anon, coord_agent, coord_operator, coord_auditor;
grant select (tenant_id, id, agent_id, repository, skill_id) on coord.sessions to coord_auth;
