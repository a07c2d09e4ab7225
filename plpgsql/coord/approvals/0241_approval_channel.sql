-- The NOTIFY channel of one approval request. LISTEN needs no privilege, so the name is a
-- one-way hash of the tenant's secret fleet channel and the request id: whoever is told it
-- (the requester, an approver) learns nothing about other requests or the tenant's channels.
create or replace function coord.approval_channel(p_tenant_id uuid, p_approval_id bigint)
returns text
language sql
stable
set search_path = pg_catalog, pg_temp
as $$
  select 'coord_approval_' || pg_catalog.md5('approval:' || coord.fleet_channel(p_tenant_id) || ':' || p_approval_id);
$$;

comment on function coord.approval_channel(uuid, bigint) is 'LISTEN channel on which each transition of the approval request is announced (payload: the new state); told by wait_for_approval.';
revoke all on function coord.approval_channel(uuid, bigint) from public;
