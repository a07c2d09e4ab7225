alter table coord.messages enable row level security;
alter table coord.messages force row level security;

-- The tenant wall. Who in the tenant sees which message (its sender and its recipients) is
-- decided by the functions that read them (coord.message_visible).
drop policy if exists messages_own_tenant on coord.messages;
create policy messages_own_tenant on coord.messages
  for all to coord_owner
  using (tenant_id = (select coord.current_tenant_id()))
  with check (tenant_id = (select coord.current_tenant_id()));

revoke all on coord.messages from public, coord_authenticator, coord_anon, coord_agent, coord_operator, coord_auditor;
