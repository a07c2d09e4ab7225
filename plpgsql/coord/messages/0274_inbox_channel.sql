-- The NOTIFY channel of one principal's inbox. LISTEN needs no privilege, so the name is a
-- one-way hash of the tenant's secret fleet channel and the principal id: whoever is told it
-- learns nothing about other inboxes or the tenant's channels. Payloads are message ids only.
create or replace function coord.inbox_channel(p_tenant_id uuid, p_principal_id uuid)
returns text
language sql
stable
set search_path = pg_catalog, pg_temp
as $$
  select 'coord_inbox_' || pg_catalog.md5('inbox:' || coord.fleet_channel(p_tenant_id) || ':' || p_principal_id);
$$;

comment on function coord.inbox_channel(uuid, uuid) is 'LISTEN channel on which a new message for the principal is announced (payload: the message id only); told by api.watch_inbox.';
revoke all on function coord.inbox_channel(uuid, uuid) from public;
