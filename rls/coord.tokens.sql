alter table coord.tokens enable row level security;
alter table coord.tokens force row level security;

drop policy if exists tokens_own_tenant on coord.tokens;
create policy tokens_own_tenant on coord.tokens
  for all to coord_owner
  using (tenant_id = (select coord.current_tenant_id()))
  with check (tenant_id = (select coord.current_tenant_id()));

revoke all on coord.tokens from public, coord_authenticator, coord_anon, coord_agent, coord_operator, coord_auditor;
grant select (tenant_id, id, principal_id, token_hash, scopes, expires_at, revoked_at, repository) on coord.tokens to coord_auth;
