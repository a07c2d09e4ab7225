-- The NOTIFY channel of a tenant's ready tasks. Listening needs no privilege, so the name is
-- random per tenant (not derived from its id) and the payload is only a kind.
create or replace function coord.task_channel(p_tenant_id uuid)
returns text
language sql
stable
set search_path = pg_catalog, pg_temp
as $$
  select n.task_channel from coord.tenants as n where n.id = p_tenant_id;
$$;

comment on function coord.task_channel(uuid) is 'LISTEN channel on which the tenant''s newly claimable tasks announce their kind (coord.tenants.task_channel).';
revoke all on function coord.task_channel(uuid) from public;
